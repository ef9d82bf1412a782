# Variables of the terraform suite's emulator run (moto) of envs/staging: they switch off exactly
# what moto cannot model; the mocked tests of each module cover those parts instead.
# moto gaps (measured with moto 5.2): EKS add-ons and access entries answer 404; the cluster
# does not return access_config/upgrade_policy and invents node-group attributes (perpetual
# replacement); KMS rotation periods, RDS Performance Insights, parameter-group parameters and CA
# changes are not modelled; the Redis replication group cannot be read back, its subnet group not
# deleted and parameter groups not created; CloudWatch Logs query definitions are not implemented;
# Security Hub's UpdateSecurityHubConfiguration answers 500, GuardDuty Runtime Monitoring cannot be
# read back and the managed policy AWS_ConfigRole does not exist (Slack IDs stay null: no Chatbot).
# Secrets skip the recovery window so a re-run is clean.
emulator_gaps = {
  eks_addons                           = true
  eks_access_entries                   = true
  eks_node_group                       = true
  eks_access_config_and_upgrade_policy = true
  kms_rotation_period                  = true
  db_parameter_group                   = true
  redis_replication_group              = true
  logs_query_definitions               = true
  security_hub                         = true
  guardduty_runtime_monitoring         = true
  config_managed_policy                = true
}
db_performance_insights     = false
db_ca_cert_identifier       = null
secret_recovery_window_days = 0
