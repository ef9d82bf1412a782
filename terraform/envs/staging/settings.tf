# What makes staging staging: two AZs, one NAT gateway, small instances, short backups,
# no deletion protection, a year of logs (the security baseline minimum).
locals {
  environment = "staging"

  settings = {
    kubernetes_version       = "1.35"
    az_count                 = 2
    single_nat_gateway       = true
    node_instance_types      = ["t3.large"]
    node_min_size            = 2
    node_max_size            = 4
    db_instance_class        = "db.t4g.medium"
    db_max_allocated_storage = 100
    db_backup_retention_days = 7
    deletion_protection      = false
    redis_node_type          = "cache.t4g.small"
    redis_num_cache_clusters = 2
    log_retention_days       = 365
  }
}
