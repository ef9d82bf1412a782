# The environment is the platform module with this environment's settings (settings.tf); the
# backend and provider are in versions.tf.
module "platform" {
  source = "../../modules/platform"

  environment = local.environment
  settings    = local.settings

  region                         = var.region
  github_repository              = var.github_repository
  state_bucket_name              = var.state_bucket_name
  state_kms_key_arn              = var.state_kms_key_arn
  domain_name                    = var.domain_name
  route53_zone_id                = var.route53_zone_id
  cluster_admin_arns             = var.cluster_admin_arns
  cluster_endpoint_public_access = var.cluster_endpoint_public_access
  cluster_public_access_cidrs    = var.cluster_public_access_cidrs
  alarm_email_addresses          = var.alarm_email_addresses
  secret_recovery_window_days    = var.secret_recovery_window_days
  generate_secret_values         = var.generate_secret_values
  db_ca_cert_identifier          = var.db_ca_cert_identifier
  db_performance_insights        = var.db_performance_insights
  security_slack_team_id         = var.security_slack_team_id
  security_slack_channel_id      = var.security_slack_channel_id
  emulator_gaps                  = var.emulator_gaps
}
