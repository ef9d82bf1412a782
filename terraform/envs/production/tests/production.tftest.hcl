# Plans the whole production root offline: the real provider without credentials, data sources that
# would call AWS overridden (mock providers cannot model the ephemeral secret generator). What the
# composition does is tested in modules/platform; here, that this root passes its own settings.
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
  target = module.platform.data.aws_caller_identity.current
  values = {
    account_id = "222222222222"
    arn        = "arn:aws:iam::222222222222:user/bootstrap"
  }
}

override_data {
  target = module.platform.module.kms.data.aws_caller_identity.current
  values = {
    account_id = "222222222222"
  }
}

override_data {
  target = module.platform.module.iam.data.aws_caller_identity.current
  values = {
    account_id = "222222222222"
  }
}

override_data {
  target = module.platform.module.security.data.aws_caller_identity.current
  values = {
    account_id = "222222222222"
  }
}

override_data {
  target = module.platform.module.network.data.aws_availability_zones.available
  values = {
    names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  }
}

variables {
  generate_secret_values = false
  alarm_email_addresses  = ["oncall@example.com"]
}

run "production_root_wires_its_settings" {
  command = plan

  assert {
    condition     = output.cluster_name == "conduit-production" && output.region == "eu-west-1"
    error_message = "The production root plans conduit-production in eu-west-1."
  }

  assert {
    condition     = local.settings.az_count == 3 && !local.settings.single_nat_gateway && local.settings.deletion_protection && local.settings.db_backup_retention_days == 30
    error_message = "Production is three AZs with a NAT gateway each, deletion protection and 30 days of backups."
  }

  assert {
    condition     = length(setsubtract(["conduit/production/alertmanager-smtp", "conduit/production/uptime-kuma-admin"], values(output.secret_names))) == 0
    error_message = "The secrets the monitoring manifests read exist in this environment."
  }
}
