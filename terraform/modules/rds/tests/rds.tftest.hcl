mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111111111111:role/conduit-test-rds-monitoring"
    }
  }

  mock_resource "aws_db_instance" {
    defaults = {
      master_user_secret = [{
        secret_arn    = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!db-1"
        kms_key_id    = "arn:aws:kms:eu-west-1:111111111111:key/secrets"
        secret_status = "active"
      }]
    }
  }
}

variables {
  identifier                 = "conduit-test"
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-db-a", "subnet-db-b", "subnet-db-c"]
  allowed_security_group_ids = { eks_nodes = "sg-nodes" }
  kms_key_arn                = "arn:aws:kms:eu-west-1:111111111111:key/rds"
  master_secret_kms_key_arn  = "arn:aws:kms:eu-west-1:111111111111:key/secrets"
  logs_kms_key_arn           = "arn:aws:kms:eu-west-1:111111111111:key/logs"
}

run "postgres_15_multi_az_encrypted_private" {
  assert {
    condition     = aws_db_instance.this.engine == "postgres" && startswith(aws_db_instance.this.engine_version, "15")
    error_message = "The database is PostgreSQL 15."
  }

  assert {
    condition     = aws_db_instance.this.multi_az
    error_message = "The database must be multi-AZ."
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.kms_key_id == var.kms_key_arn
    error_message = "Storage must be encrypted with the RDS key."
  }

  assert {
    condition     = !aws_db_instance.this.publicly_accessible
    error_message = "The database must not be publicly accessible."
  }

  assert {
    condition     = aws_db_subnet_group.this.subnet_ids == toset(var.subnet_ids)
    error_message = "The database lives in the isolated subnets."
  }

  assert {
    condition     = aws_db_instance.this.db_name == "conduit" && aws_db_instance.this.port == 5432
    error_message = "Database conduit on 5432."
  }
}

run "credentials_tls_and_auth" {
  assert {
    condition     = aws_db_instance.this.manage_master_user_password && aws_db_instance.this.master_user_secret_kms_key_id == var.master_secret_kms_key_arn && aws_db_instance.this.password == null
    error_message = "RDS must manage the master password in Secrets Manager (no password in code or state)."
  }

  assert {
    condition     = one([for p in aws_db_parameter_group.this[0].parameter : p.value if p.name == "rds.force_ssl"]) == "1"
    error_message = "The parameter group must force TLS."
  }

  assert {
    condition     = contains([for p in aws_db_parameter_group.this[0].parameter : p.name], "log_min_duration_statement") && contains([for p in aws_db_parameter_group.this[0].parameter : p.name], "log_connections")
    error_message = "Slow statements and connections must be logged."
  }

  assert {
    condition     = aws_db_instance.this.iam_database_authentication_enabled && aws_db_instance.this.auto_minor_version_upgrade
    error_message = "IAM database auth and automatic minor upgrades must be on."
  }

  assert {
    condition     = aws_db_instance.this.ca_cert_identifier == "rds-ca-rsa2048-g1" && aws_db_instance.this.parameter_group_name == aws_db_parameter_group.this[0].name
    error_message = "The instance uses the RSA-2048 CA and the TLS-only parameter group."
  }
}

run "monitoring_and_backups" {
  assert {
    condition     = aws_db_instance.this.performance_insights_enabled && aws_db_instance.this.performance_insights_kms_key_id == var.kms_key_arn
    error_message = "Performance Insights must be on and encrypted with the RDS key."
  }

  assert {
    condition     = aws_db_instance.this.monitoring_interval > 0 && aws_db_instance.this.monitoring_role_arn == aws_iam_role.monitoring.arn
    error_message = "Enhanced monitoring must be on."
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period == 7
    error_message = "Staging keeps 7 days of backups by default."
  }

  assert {
    condition     = toset(aws_db_instance.this.enabled_cloudwatch_logs_exports) == toset(["postgresql", "upgrade"]) && alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == var.logs_kms_key_arn])
    error_message = "Logs are exported to encrypted groups."
  }
}

run "only_the_nodes_reach_5432" {
  assert {
    condition     = length(aws_security_group_rule.postgres) == 1
    error_message = "Exactly one ingress rule: the node/pod group."
  }

  assert {
    condition     = aws_security_group_rule.postgres["eks_nodes"].source_security_group_id == "sg-nodes" && aws_security_group_rule.postgres["eks_nodes"].cidr_blocks == null
    error_message = "Ingress must reference the node group, never a CIDR."
  }

  assert {
    condition     = aws_security_group_rule.postgres["eks_nodes"].from_port == 5432 && aws_security_group_rule.postgres["eks_nodes"].to_port == 5432
    error_message = "Only port 5432 is open."
  }
}

run "production_protects_the_data" {
  variables {
    backup_retention_days = 30
    deletion_protection   = true
  }

  assert {
    condition     = aws_db_instance.this.deletion_protection && !aws_db_instance.this.skip_final_snapshot && aws_db_instance.this.final_snapshot_identifier == "conduit-test-final"
    error_message = "Production needs deletion protection and a final snapshot."
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period == 30
    error_message = "Production keeps 30 days of backups."
  }
}

run "staging_can_be_destroyed" {
  variables {
    deletion_protection = false
  }

  assert {
    condition     = !aws_db_instance.this.deletion_protection && aws_db_instance.this.skip_final_snapshot
    error_message = "Without deletion protection the instance is disposable."
  }
}

run "emulator_switches" {
  command = plan

  variables {
    performance_insights_enabled = false
    create_parameter_group       = false
    ca_cert_identifier           = null
  }

  assert {
    condition     = length(aws_db_parameter_group.this) == 0 && !aws_db_instance.this.performance_insights_enabled
    error_message = "The switches remove only the parameter group and Performance Insights."
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.multi_az && !aws_db_instance.this.publicly_accessible
    error_message = "Encryption, multi-AZ and privacy do not depend on the switches."
  }
}

run "rejects_other_major_versions" {
  command = plan

  variables {
    engine_version = "16.3"
  }

  expect_failures = [var.engine_version]
}

run "rejects_short_backups" {
  command = plan

  variables {
    backup_retention_days = 1
  }

  expect_failures = [var.backup_retention_days]
}

run "rejects_disabled_enhanced_monitoring" {
  command = plan

  variables {
    monitoring_interval = 0
  }

  expect_failures = [var.monitoring_interval]
}

run "roles_carry_the_permissions_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::111111111111:policy/conduit-staging-workload-boundary"
  }

  assert {
    condition     = aws_iam_role.monitoring.permissions_boundary == var.permissions_boundary_arn
    error_message = "Every role of the module carries the workload boundary (the apply role may create no other role)."
  }
}
