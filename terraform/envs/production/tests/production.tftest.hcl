# Plans the whole production composition offline: the real provider without credentials,
# data sources that would call AWS overridden. (Mock providers cannot model the ephemeral
# secret generator; planning never opens it because values are not generated here.)
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
    account_id = "222222222222"
    arn        = "arn:aws:iam::222222222222:user/bootstrap"
  }
}

override_data {
  target = module.kms.data.aws_caller_identity.current
  values = {
    account_id = "222222222222"
  }
}

override_data {
  target = module.iam.data.aws_caller_identity.current
  values = {
    account_id = "222222222222"
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
}

run "production_is_highly_available_and_protected" {
  command = plan

  assert {
    condition     = length(module.network.nat_gateway_ids) == 3 && length(module.network.private_subnet_ids) == 3
    error_message = "Production has three AZs with a NAT gateway each."
  }

  assert {
    condition     = module.rds.deletion_protection && module.rds.backup_retention_days == 30
    error_message = "Production RDS has deletion protection and 30 days of backups."
  }

  assert {
    condition     = module.eks.cluster_name == "conduit-production"
    error_message = "The cluster is conduit-production."
  }

  assert {
    condition     = output.region == "eu-west-1"
    error_message = "The region defaults to eu-west-1."
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
    condition     = length(setsubtract(["conduit/production/alertmanager-smtp", "conduit/production/uptime-kuma-admin"], values(module.secrets.secret_names))) == 0
    error_message = "The secrets the monitoring manifests read exist in this environment."
  }
}
