# Composition of the platform. Identical in every environment (a test keeps envs/*/main.tf equal);
# the differences live in settings.tf.

data "aws_caller_identity" "current" {}

data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  name              = "conduit-${local.environment}"
  cluster_name      = "conduit-${local.environment}"
  state_bucket_name = coalesce(var.state_bucket_name, "conduit-${local.environment}-tfstate-${data.aws_caller_identity.current.account_id}")
}

module "kms" {
  source = "../../modules/kms"

  name                    = local.name
  cluster_name            = local.cluster_name
  rotation_period_in_days = var.kms_rotation_period_in_days
}

module "network" {
  source = "../../modules/network"

  name                 = local.name
  cidr_block           = "10.0.0.0/16"
  az_count             = local.settings.az_count
  single_nat_gateway   = local.settings.single_nat_gateway
  cluster_name         = local.cluster_name
  flow_log_kms_key_arn = module.kms.key_arns["logs"]
}

module "eks" {
  source = "../../modules/eks"

  cluster_name           = local.cluster_name
  kubernetes_version     = var.kubernetes_version
  vpc_id                 = module.network.vpc_id
  subnet_ids             = module.network.private_subnet_ids
  endpoint_public_access = var.cluster_endpoint_public_access
  public_access_cidrs    = var.cluster_public_access_cidrs
  secrets_kms_key_arn    = module.kms.key_arns["eks"]
  logs_kms_key_arn       = module.kms.key_arns["logs"]
  node_instance_types    = local.settings.node_instance_types
  node_min_size          = local.settings.node_min_size
  node_desired_size      = local.settings.node_min_size
  node_max_size          = local.settings.node_max_size
  cluster_admin_arns     = var.cluster_admin_arns
  ebs_csi_role_arn       = module.iam.irsa_role_arns["ebs_csi"]
  create_addons          = var.create_eks_addons
  create_access_entries  = var.create_eks_access_entries
  create_node_group      = var.create_eks_node_group

  set_access_config_and_upgrade_policy = var.eks_access_config_and_upgrade_policy
}

module "ecr" {
  source = "../../modules/ecr"

  repositories = ["api", "web"]
  kms_key_arn  = module.kms.key_arns["ecr"]
}

module "observability" {
  source = "../../modules/observability"

  name                  = local.name
  cluster_name          = local.cluster_name
  kms_key_arn           = module.kms.key_arns["logs"]
  alarm_email_addresses = var.alarm_email_addresses
}

module "secrets" {
  source = "../../modules/secrets"

  environment          = local.environment
  kms_key_arn          = module.kms.key_arns["secrets"]
  app_reader_arns      = [module.iam.api_role_arn, module.iam.external_secrets_role_arn]
  platform_reader_arns = [module.iam.external_secrets_role_arn]
  terraform_principal_arns = [
    data.aws_iam_session_context.current.issuer_arn,
    module.iam.github_plan_role_arn,
    module.iam.github_apply_role_arn,
  ]
  generate_values         = var.generate_secret_values
  recovery_window_in_days = var.secret_recovery_window_days
}

module "rds" {
  source = "../../modules/rds"

  identifier                 = local.name
  instance_class             = local.settings.db_instance_class
  max_allocated_storage      = local.settings.db_max_allocated_storage
  multi_az                   = true
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = { eks_nodes = module.eks.node_security_group_id }
  kms_key_arn                = module.kms.key_arns["rds"]
  master_secret_kms_key_arn  = module.kms.key_arns["secrets"]
  logs_kms_key_arn           = module.kms.key_arns["logs"]
  backup_retention_days      = local.settings.db_backup_retention_days
  deletion_protection        = local.settings.deletion_protection
  ca_cert_identifier         = var.db_ca_cert_identifier

  performance_insights_enabled = var.db_performance_insights
  create_parameter_group       = var.db_parameter_group
}

module "elasticache" {
  source = "../../modules/elasticache"

  name                         = local.name
  node_type                    = local.settings.redis_node_type
  num_cache_clusters           = local.settings.redis_num_cache_clusters
  vpc_id                       = module.network.vpc_id
  subnet_ids                   = module.network.private_subnet_ids
  allowed_security_group_ids   = { eks_nodes = module.eks.node_security_group_id }
  kms_key_arn                  = module.kms.key_arns["elasticache"]
  logs_kms_key_arn             = module.kms.key_arns["logs"]
  auth_token_secret_arn        = module.secrets.redis_auth_secret_arn
  auth_token_secret_version_id = module.secrets.redis_auth_version_id
  create_replication_group     = var.create_redis_replication_group
}

module "iam" {
  source = "../../modules/iam"

  name                      = local.name
  environment               = local.environment
  oidc_provider_arn         = module.eks.oidc_provider_arn
  oidc_issuer               = module.eks.oidc_issuer
  app_secret_arns           = [module.secrets.jwt_secret_arn, module.secrets.redis_auth_secret_arn, module.rds.master_secret_arn]
  platform_secret_arns      = module.secrets.platform_secret_arns
  secrets_kms_key_arn       = module.kms.key_arns["secrets"]
  fluent_bit_log_group_arns = values(module.observability.log_group_arns)
  ecr_repository_arns       = values(module.ecr.repository_arns)
  github_repository         = var.github_repository
  state_bucket_name         = local.state_bucket_name
  state_kms_key_arn         = var.state_kms_key_arn
}

module "edge" {
  source = "../../modules/edge"

  name                      = local.name
  vpc_id                    = module.network.vpc_id
  domain_name               = var.domain_name
  subject_alternative_names = var.domain_name == null ? [] : ["status.${var.domain_name}"]
  route53_zone_id           = var.route53_zone_id
  target_security_group_id  = module.eks.node_security_group_id
  logs_kms_key_arn          = module.kms.key_arns["logs"]
}
