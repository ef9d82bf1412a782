mock_provider "aws" {
  mock_data "aws_secretsmanager_secret_version" {
    defaults = {
      secret_string = "0123456789abcdef0123456789abcdef"
    }
  }
}

variables {
  name                       = "conduit-test"
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-a", "subnet-b"]
  allowed_security_group_ids = { eks_nodes = "sg-nodes" }
  kms_key_arn                = "arn:aws:kms:eu-west-1:111111111111:key/elasticache"
  logs_kms_key_arn           = "arn:aws:kms:eu-west-1:111111111111:key/logs"
  auth_token_secret_arn      = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/test/redis-auth"
}

run "replication_group_is_highly_available" {
  assert {
    condition     = aws_elasticache_replication_group.this[0].multi_az_enabled && aws_elasticache_replication_group.this[0].automatic_failover_enabled
    error_message = "Redis must be multi-AZ with automatic failover."
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].num_cache_clusters >= 2
    error_message = "A replica is required."
  }

  assert {
    condition     = aws_elasticache_subnet_group.this[0].subnet_ids == toset(var.subnet_ids)
    error_message = "Redis lives in the private subnets."
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].snapshot_retention_limit >= 1
    error_message = "Snapshots must be kept."
  }
}

run "encrypted_at_rest_and_in_transit_with_auth" {
  assert {
    condition     = aws_elasticache_replication_group.this[0].at_rest_encryption_enabled == "true" && aws_elasticache_replication_group.this[0].kms_key_id == var.kms_key_arn
    error_message = "At-rest encryption with the ElastiCache key is required."
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].transit_encryption_enabled && aws_elasticache_replication_group.this[0].transit_encryption_mode == "required"
    error_message = "TLS must be required."
  }

  assert {
    condition     = nonsensitive(aws_elasticache_replication_group.this[0].auth_token == data.aws_secretsmanager_secret_version.auth[0].secret_string)
    error_message = "The AUTH token comes from the redis-auth secret."
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].port == 6379
    error_message = "Redis listens on 6379."
  }
}

run "only_the_nodes_reach_6379" {
  assert {
    condition     = length(aws_security_group_rule.redis) == 1 && aws_security_group_rule.redis["eks_nodes"].source_security_group_id == "sg-nodes"
    error_message = "Only the node/pod group may connect."
  }

  assert {
    condition     = aws_security_group_rule.redis["eks_nodes"].from_port == 6379 && aws_security_group_rule.redis["eks_nodes"].to_port == 6379 && aws_security_group_rule.redis["eks_nodes"].cidr_blocks == null
    error_message = "Only 6379 from a security group."
  }
}

run "logs_are_encrypted" {
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == var.logs_kms_key_arn && g.retention_in_days >= 365])
    error_message = "Redis logs go to encrypted groups with a retention."
  }
}

run "emulator_switch_removes_only_the_group" {
  variables {
    create_replication_group = false
  }

  assert {
    condition     = length(aws_elasticache_replication_group.this) == 0 && length(aws_elasticache_subnet_group.this) == 0 && length(aws_elasticache_parameter_group.this) == 0
    error_message = "The switch removes the replication group with its subnet and parameter groups."
  }

  assert {
    condition     = output.primary_endpoint == "" && length(aws_security_group_rule.redis) == 1
    error_message = "The security group stays; the endpoint output is empty."
  }
}

run "rejects_a_single_node" {
  command = plan

  variables {
    num_cache_clusters = 1
  }

  expect_failures = [var.num_cache_clusters]
}

run "rejects_a_long_name" {
  command = plan

  variables {
    name = "conduit-a-name-that-is-far-too-long-for-elasticache"
  }

  expect_failures = [var.name]
}
