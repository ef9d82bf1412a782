# Plans the composition offline with staging-like and production-like settings: the real provider
# without credentials, data sources that would call AWS overridden (mock providers cannot model
# the ephemeral secret generator; planning never opens it because values are not generated here).
provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "offline"
  secret_key                  = "offline"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

override_data {
  target = data.aws_caller_identity.current
  values = {
    account_id = "444444444444"
    arn        = "arn:aws:iam::444444444444:user/bootstrap"
  }
}

override_data {
  target = module.kms.data.aws_caller_identity.current
  values = {
    account_id = "444444444444"
  }
}

override_data {
  target = module.iam.data.aws_caller_identity.current
  values = {
    account_id = "444444444444"
  }
}

override_data {
  target = module.security.data.aws_caller_identity.current
  values = {
    account_id = "444444444444"
  }
}

override_data {
  target = module.network.data.aws_availability_zones.available
  values = {
    names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  }
}

variables {
  generate_secret_values = false
  environment            = "staging"
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

run "small_and_disposable" {
  command = plan

  assert {
    condition     = length(module.network.nat_gateway_ids) == 1 && length(module.network.private_subnet_ids) == 2
    error_message = "single_nat_gateway over two AZs gives one NAT gateway and two private subnets."
  }

  assert {
    condition     = !module.rds.deletion_protection && module.rds.backup_retention_days == 7
    error_message = "The RDS settings reach the rds module."
  }

  assert {
    condition     = module.eks.cluster_name == "conduit-staging" && output.cluster_name == "conduit-staging"
    error_message = "The cluster is conduit-<environment>."
  }
}

run "highly_available_and_protected" {
  command = plan

  variables {
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
    alarm_email_addresses = ["oncall@example.com"]
  }

  assert {
    condition     = length(module.network.nat_gateway_ids) == 3 && length(module.network.private_subnet_ids) == 3
    error_message = "Three AZs with a NAT gateway each."
  }

  assert {
    condition     = module.rds.deletion_protection && module.rds.backup_retention_days == 30
    error_message = "Deletion protection and 30 days of backups reach the rds module."
  }
}

run "log_retention_follows_the_environment" {
  command = plan

  assert {
    condition     = module.observability.log_retention_days == 365
    error_message = "The container log groups keep the environment's log_retention_days."
  }
}

run "production_alarms_need_a_subscriber" {
  command = plan

  variables {
    environment           = "production"
    alarm_email_addresses = []
  }

  expect_failures = [var.alarm_email_addresses]
}

run "public_endpoint_needs_an_allow_list" {
  command = plan

  variables {
    cluster_endpoint_public_access = true
  }

  expect_failures = [var.cluster_public_access_cidrs]
}

run "public_endpoint_takes_single_addresses_only" {
  command = plan

  variables {
    cluster_endpoint_public_access = true
    cluster_public_access_cidrs    = ["203.0.113.0/24"]
  }

  expect_failures = [var.cluster_public_access_cidrs]
}

run "temporary_public_endpoint_for_one_operator" {
  command = plan

  variables {
    cluster_endpoint_public_access = true
    cluster_public_access_cidrs    = ["203.0.113.7/32"]
  }

  assert {
    condition     = module.eks.endpoint_public_access && module.eks.public_access_cidrs == tolist(["203.0.113.7/32"])
    error_message = "The public endpoint admits exactly the operator's /32."
  }
}

run "logs_insights_queries_and_scoped_filters" {
  command = plan

  assert {
    condition     = length(module.observability.query_definition_names) >= 4 && alltrue([for n in module.observability.query_definition_names : startswith(n, "conduit-staging/")])
    error_message = "The Logs Insights queries are saved as query definitions under conduit-<env>/."
  }

  assert {
    condition     = alltrue([for p in values(module.observability.metric_filter_patterns) : strcontains(p, "$.kubernetes.namespace_name = \"conduit\" && $.kubernetes.container_name = \"api\"")])
    error_message = "Every metric filter selects the API container's log lines."
  }
}

run "certificate_covers_the_status_page" {
  command = plan

  variables {
    domain_name = "conduit.example.com"
  }

  assert {
    condition     = module.edge.certificate_domain_names == tolist(["conduit.example.com", "status.conduit.example.com"])
    error_message = "The ALB certificate must cover the app and status.<domain> (the status page)."
  }

  assert {
    condition     = length(setsubtract(["conduit/staging/alertmanager-smtp", "conduit/staging/uptime-kuma-admin"], values(module.secrets.secret_names))) == 0
    error_message = "The secrets the monitoring manifests read exist in this environment."
  }
}

run "rejects_unknown_environments" {
  command = plan

  variables {
    environment = "dev"
  }

  expect_failures = [var.environment]
}

run "database_login_and_security_services_are_wired" {
  command = plan

  assert {
    condition     = contains(values(module.secrets.secret_names), "conduit/staging/db-app")
    error_message = "The platform creates the runtime database login secret conduit/<env>/db-app."
  }

  assert {
    condition     = length(module.security.security_hub_standards_arns) == 2
    error_message = "A real account subscribes Security Hub to both standards (FSBP and CIS)."
  }
}

run "emulator_switches_reach_the_security_module" {
  command = plan

  variables {
    emulator_gaps = { security_hub = true, guardduty_runtime_monitoring = true, config_managed_policy = true }
  }

  assert {
    condition     = length(module.security.security_hub_standards_arns) == 0
    error_message = "emulator_gaps.security_hub switches Security Hub off (moto answers 500)."
  }
}
