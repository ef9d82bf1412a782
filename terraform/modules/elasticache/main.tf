resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "Redis 6379 (TLS) from the EKS nodes and pods only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-redis" })
}

resource "aws_security_group_rule" "redis" {
  for_each = var.allowed_security_group_ids

  type                     = "ingress"
  security_group_id        = aws_security_group.this.id
  description              = "Redis from an allowed security group"
  protocol                 = "tcp"
  from_port                = 6379
  to_port                  = 6379
  source_security_group_id = each.value
}

resource "aws_elasticache_parameter_group" "this" {
  count = var.create_replication_group ? 1 : 0

  name        = "${var.name}-${var.parameter_group_family}"
  family      = var.parameter_group_family
  description = "Redis settings of ${var.name}"

  parameter {
    name  = "maxmemory-policy"
    value = "volatile-lru"
  }

  parameter {
    name  = "timeout"
    value = "300"
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(["slow-log", "engine-log"])

  name              = "/aws/elasticache/${var.name}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

resource "aws_elasticache_subnet_group" "this" {
  count = var.create_replication_group ? 1 : 0

  name        = var.name
  description = "Private subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

data "aws_secretsmanager_secret_version" "auth" {
  count = var.create_replication_group ? 1 : 0

  secret_id  = var.auth_token_secret_arn
  version_id = var.auth_token_secret_version_id
}

resource "aws_elasticache_replication_group" "this" {
  count = var.create_replication_group ? 1 : 0

  replication_group_id = var.name
  description          = "Redis for ${var.name}"
  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = 6379
  parameter_group_name = aws_elasticache_parameter_group.this[0].name

  num_cache_clusters         = var.num_cache_clusters
  automatic_failover_enabled = true
  multi_az_enabled           = true

  subnet_group_name  = aws_elasticache_subnet_group.this[0].name
  security_group_ids = [aws_security_group.this.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  auth_token                 = data.aws_secretsmanager_secret_version.auth[0].secret_string
  auth_token_update_strategy = "ROTATE"

  snapshot_retention_limit   = var.snapshot_retention_days
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:04:30-sun:05:30"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.this["slow-log"].name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.this["engine-log"].name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "engine-log"
  }

  tags = var.tags
}
