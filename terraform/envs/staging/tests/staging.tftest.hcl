# Plans the whole staging composition offline: the real provider without credentials,
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
    account_id = "333333333333"
    arn        = "arn:aws:iam::333333333333:user/bootstrap"
  }
}

override_data {
  target = module.kms.data.aws_caller_identity.current
  values = {
    account_id = "333333333333"
  }
}

override_data {
  target = module.iam.data.aws_caller_identity.current
  values = {
    account_id = "333333333333"
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

run "staging_is_smaller_and_disposable" {
  command = plan

  assert {
    condition     = length(module.network.nat_gateway_ids) == 1 && length(module.network.private_subnet_ids) == 2
    error_message = "Staging shares one NAT gateway over two AZs."
  }

  assert {
    condition     = !module.rds.deletion_protection && module.rds.backup_retention_days == 7
    error_message = "Staging RDS keeps 7 days of backups and can be destroyed."
  }

  assert {
    condition     = module.eks.cluster_name == "conduit-staging"
    error_message = "The cluster is conduit-staging."
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
