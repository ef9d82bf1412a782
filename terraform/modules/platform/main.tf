# The whole platform of one environment. envs/<env> call this module with their settings; nothing
# here depends on which environment it is beyond var.environment and var.settings.

data "aws_caller_identity" "current" {}

data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  name              = "conduit-${var.environment}"
  cluster_name      = "conduit-${var.environment}"
  state_bucket_name = coalesce(var.state_bucket_name, "conduit-${var.environment}-tfstate-${data.aws_caller_identity.current.account_id}")
}

module "kms" {
  source = "../kms"

  name                    = local.name
  cluster_name            = local.cluster_name
  rotation_period_in_days = var.emulator_gaps.kms_rotation_period ? null : 365
}

module "network" {
  source = "../network"

  name                     = local.name
  cidr_block               = var.vpc_cidr
  az_count                 = var.settings.az_count
  single_nat_gateway       = var.settings.single_nat_gateway
  cluster_name             = local.cluster_name
  flow_log_kms_key_arn     = module.kms.key_arns["logs"]
  flow_log_retention_days  = var.settings.log_retention_days
  permissions_boundary_arn = module.iam.permissions_boundary_arn
}

module "eks" {
  source = "../eks"

  cluster_name               = local.cluster_name
  kubernetes_version         = var.settings.kubernetes_version
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  endpoint_public_access     = var.cluster_endpoint_public_access
  public_access_cidrs        = var.cluster_public_access_cidrs
  secrets_kms_key_arn        = module.kms.key_arns["eks"]
  logs_kms_key_arn           = module.kms.key_arns["logs"]
  cluster_log_retention_days = var.settings.log_retention_days
  node_instance_types        = var.settings.node_instance_types
  node_min_size              = var.settings.node_min_size
  node_desired_size          = var.settings.node_min_size
  node_max_size              = var.settings.node_max_size
  cluster_admin_arns         = var.cluster_admin_arns
  ebs_csi_role_arn           = module.iam.irsa_role_arns["ebs_csi"]
  permissions_boundary_arn   = module.iam.permissions_boundary_arn
  create_addons              = !var.emulator_gaps.eks_addons
  create_access_entries      = !var.emulator_gaps.eks_access_entries
  create_node_group          = !var.emulator_gaps.eks_node_group

  set_access_config_and_upgrade_policy = !var.emulator_gaps.eks_access_config_and_upgrade_policy
}

module "ecr" {
  source = "../ecr"

  repositories = ["api", "web"]
  kms_key_arn  = module.kms.key_arns["ecr"]
}

module "observability" {
  source = "../observability"

  name                  = local.name
  cluster_name          = local.cluster_name
  kms_key_arn           = module.kms.key_arns["logs"]
  alarm_email_addresses = var.alarm_email_addresses
  log_retention_days    = var.settings.log_retention_days

  # Production alarms must reach someone; staging may run without subscribers.
  require_alarm_subscriber = var.environment == "production"
  create_query_definitions = !var.emulator_gaps.logs_query_definitions
}

module "secrets" {
  source = "../secrets"

  environment          = var.environment
  kms_key_arn          = module.kms.key_arns["secrets"]
  app_reader_arns      = [module.iam.external_secrets_role_arn]
  platform_reader_arns = [module.iam.external_secrets_role_arn]
  terraform_principal_arns = [
    data.aws_iam_session_context.current.issuer_arn,
    module.iam.github_apply_role_arn,
  ]
  # The plan role reads redis-auth only: module.elasticache reads the token while planning, and it
  # is in the state anyway (provider 5.100 has no write-only ElastiCache AUTH argument).
  redis_auth_plan_principal_arns = [module.iam.github_plan_role_arn]

  # conduit/<env>/db-app, the API's runtime login. Its rotation function (AWS's
  # SecretsManagerRDSPostgreSQLRotationMultiUser) is not deployed yet: no rotation schedule.
  database = {
    host                = module.rds.endpoint
    port                = module.rds.port
    dbname              = module.rds.db_name
    master_secret_arn   = module.rds.master_secret_arn
    reader_arns         = [module.iam.external_secrets_role_arn]
    rotation_lambda_arn = null
  }
  generate_values         = var.generate_secret_values
  recovery_window_in_days = var.secret_recovery_window_days
}

module "rds" {
  source = "../rds"

  identifier                 = local.name
  instance_class             = var.settings.db_instance_class
  max_allocated_storage      = var.settings.db_max_allocated_storage
  multi_az                   = true
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = { eks_nodes = module.eks.node_security_group_id }
  kms_key_arn                = module.kms.key_arns["rds"]
  master_secret_kms_key_arn  = module.kms.key_arns["secrets"]
  logs_kms_key_arn           = module.kms.key_arns["logs"]
  log_retention_days         = var.settings.log_retention_days
  backup_retention_days      = var.settings.db_backup_retention_days
  deletion_protection        = var.settings.deletion_protection
  ca_cert_identifier         = var.db_ca_cert_identifier

  permissions_boundary_arn     = module.iam.permissions_boundary_arn
  performance_insights_enabled = var.db_performance_insights
  create_parameter_group       = !var.emulator_gaps.db_parameter_group
}

module "elasticache" {
  source = "../elasticache"

  name                         = local.name
  node_type                    = var.settings.redis_node_type
  num_cache_clusters           = var.settings.redis_num_cache_clusters
  vpc_id                       = module.network.vpc_id
  subnet_ids                   = module.network.private_subnet_ids
  allowed_security_group_ids   = { eks_nodes = module.eks.node_security_group_id }
  kms_key_arn                  = module.kms.key_arns["elasticache"]
  logs_kms_key_arn             = module.kms.key_arns["logs"]
  log_retention_days           = var.settings.log_retention_days
  auth_token_secret_arn        = module.secrets.redis_auth_secret_arn
  auth_token_secret_version_id = module.secrets.redis_auth_version_id
  create_replication_group     = !var.emulator_gaps.redis_replication_group
}

module "iam" {
  source = "../iam"

  name                      = local.name
  environment               = var.environment
  oidc_provider_arn         = module.eks.oidc_provider_arn
  oidc_issuer               = module.eks.oidc_issuer
  app_secret_arns           = [module.secrets.jwt_secret_arn, module.secrets.redis_auth_secret_arn, module.rds.master_secret_arn, module.secrets.db_app_secret_arn]
  plan_readable_secret_arn  = module.secrets.redis_auth_secret_arn
  platform_secret_arns      = module.secrets.platform_secret_arns
  secrets_kms_key_arn       = module.kms.key_arns["secrets"]
  fluent_bit_log_group_arns = values(module.observability.log_group_arns)
  ecr_repository_arns       = values(module.ecr.repository_arns)
  github_repository         = var.github_repository
  state_bucket_name         = local.state_bucket_name
  state_kms_key_arn         = var.state_kms_key_arn
}

module "edge" {
  source = "../edge"

  name                      = local.name
  vpc_id                    = module.network.vpc_id
  domain_name               = var.domain_name
  subject_alternative_names = var.domain_name == null ? [] : ["status.${var.domain_name}"]
  route53_zone_id           = var.route53_zone_id
  target_security_group_id  = module.eks.node_security_group_id
  logs_kms_key_arn          = module.kms.key_arns["logs"]
  log_retention_days        = var.settings.log_retention_days
}

module "security" {
  source = "../security"

  name                     = local.name
  create_admission_role    = true
  eks_oidc_provider_arn    = module.eks.oidc_provider_arn
  eks_oidc_issuer          = module.eks.oidc_issuer
  ecr_repository_arns      = values(module.ecr.repository_arns)
  permissions_boundary_arn = module.iam.permissions_boundary_arn
  log_retention_days       = max(var.settings.log_retention_days, 365)
  slack_team_id            = var.security_slack_team_id
  slack_channel_id         = var.security_slack_channel_id

  enable_security_hub                 = !var.emulator_gaps.security_hub
  enable_guardduty_runtime_monitoring = !var.emulator_gaps.guardduty_runtime_monitoring
  attach_config_managed_policy        = !var.emulator_gaps.config_managed_policy
}
