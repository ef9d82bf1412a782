# What makes production production: three AZs with a NAT gateway each, larger instances,
# 30 days of backups, deletion protection and a final snapshot, two years of logs.
locals {
  environment = "production"

  settings = {
    kubernetes_version       = "1.35"
    az_count                 = 3
    single_nat_gateway       = false
    node_instance_types      = ["m6i.large"]
    node_min_size            = 3
    node_max_size            = 9
    db_instance_class        = "db.m7g.large"
    db_max_allocated_storage = 500
    db_backup_retention_days = 30
    deletion_protection      = true
    redis_node_type          = "cache.m7g.large"
    redis_num_cache_clusters = 3
    log_retention_days       = 731
  }
}
