# Mock providers cannot model ephemeral resources (the generator of the JWT key and Redis
# AUTH token), so this file plans with the real provider configured offline: no credentials,
# no API calls (generate_values = false; the emulator run covers generation end to end).
provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "offline"
  secret_key                  = "offline"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variables {
  environment              = "staging"
  kms_key_arn              = "arn:aws:kms:eu-west-1:111111111111:key/secrets"
  app_reader_arns          = ["arn:aws:iam::111111111111:role/conduit-staging-api", "arn:aws:iam::111111111111:role/conduit-staging-external-secrets"]
  platform_reader_arns     = ["arn:aws:iam::111111111111:role/conduit-staging-external-secrets"]
  terraform_principal_arns = ["arn:aws:iam::111111111111:role/conduit-staging-github-apply"]
  generate_values          = false
}

run "secrets_are_named_and_encrypted" {
  command = plan

  assert {
    condition     = toset([for s in aws_secretsmanager_secret.this : s.name]) == toset(["conduit/staging/jwt-secret", "conduit/staging/redis-auth", "conduit/staging/alertmanager-slack-webhook", "conduit/staging/grafana-admin", "conduit/staging/alertmanager-smtp", "conduit/staging/uptime-kuma-admin"])
    error_message = "Secret names follow conduit/<env>/<name>."
  }

  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.this : s.kms_key_id == var.kms_key_arn])
    error_message = "Every secret is encrypted with the secrets key."
  }

  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.this : s.recovery_window_in_days == 30])
    error_message = "Deleted secrets stay recoverable for 30 days by default."
  }
}

run "only_named_readers_get_values" {
  command = plan

  assert {
    condition = alltrue([
      for k, d in data.aws_iam_policy_document.this : anytrue([
        for s in d.statement : s.effect == "Deny" && contains(s.actions, "secretsmanager:GetSecretValue") && anytrue([
          for c in s.condition : c.test == "ArnNotEquals" && c.variable == "aws:PrincipalArn"
        ])
      ])
    ])
    error_message = "Each secret policy must deny GetSecretValue to everyone but the named readers."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.this["jwt-secret"].statement : [for c in s.condition : c.values] if s.effect == "Deny"
    ])) == toset(concat(var.app_reader_arns, var.terraform_principal_arns))
    error_message = "jwt-secret is readable by the API, External Secrets and Terraform only."
  }

  assert {
    condition = alltrue([
      for k in ["alertmanager-slack-webhook", "grafana-admin", "alertmanager-smtp", "uptime-kuma-admin"] :
      toset(flatten([
        for s in data.aws_iam_policy_document.this[k].statement : [for c in s.condition : c.values] if s.effect == "Deny"
      ])) == toset(concat(var.platform_reader_arns, var.terraform_principal_arns))
    ])
    error_message = "The API must not read the platform secrets; External Secrets and Terraform may."
  }

  assert {
    condition     = length(output.platform_secret_arns) == 4
    error_message = "The four operator-set secrets are exported for the External Secrets role."
  }

  assert {
    condition     = alltrue([for p in aws_secretsmanager_secret_policy.this : p.block_public_policy])
    error_message = "Public secret policies are blocked."
  }
}

run "no_values_in_state_when_not_generated" {
  command = plan

  assert {
    condition     = length(aws_secretsmanager_secret_version.this) == 0
    error_message = "Without generation, values are left to the operator."
  }
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "dev"
  }

  expect_failures = [var.environment]
}

run "rejects_short_recovery_window" {
  command = plan

  variables {
    recovery_window_in_days = 3
  }

  expect_failures = [var.recovery_window_in_days]
}

run "rejects_fractional_value_version" {
  command = plan

  variables {
    value_version = 1.5
  }

  expect_failures = [var.value_version]
}

run "plan_role_reads_redis_auth_only" {
  command = plan

  variables {
    redis_auth_plan_principal_arns = ["arn:aws:iam::111111111111:role/conduit-staging-github-plan"]
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.this["redis-auth"].statement : [for c in s.condition : c.values] if s.effect == "Deny"
    ])) == toset(concat(var.app_reader_arns, var.terraform_principal_arns, var.redis_auth_plan_principal_arns))
    error_message = "redis-auth is also readable by the plan role (its token is in the state anyway)."
  }

  assert {
    condition = alltrue([
      for k, d in data.aws_iam_policy_document.this : !contains(flatten([
        for s in d.statement : [for c in s.condition : c.values] if s.effect == "Deny"
      ]), var.redis_auth_plan_principal_arns[0]) if k != "redis-auth"
    ])
    error_message = "The plan role must read no secret but redis-auth."
  }
}

run "database_login_secret_is_readable_by_its_readers_only" {
  command = plan

  variables {
    database = {
      host                = "conduit-staging.abc.eu-west-1.rds.amazonaws.com"
      master_secret_arn   = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!db-1"
      reader_arns         = ["arn:aws:iam::111111111111:role/conduit-staging-external-secrets", "arn:aws:iam::111111111111:role/conduit-staging-db-rotation"]
      rotation_lambda_arn = "arn:aws:lambda:eu-west-1:111111111111:function:conduit-staging-db-rotation"
    }
  }

  assert {
    condition     = aws_secretsmanager_secret.this["db-app"].name == "conduit/staging/db-app"
    error_message = "The runtime login secret is conduit/<env>/db-app."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.this["db-app"].statement : [for c in s.condition : c.values] if s.effect == "Deny"
    ])) == toset(concat(var.database.reader_arns, var.terraform_principal_arns))
    error_message = "db-app is readable by its readers (External Secrets, the rotation function) and Terraform only: not by the API's role."
  }

  assert {
    condition     = length(output.platform_secret_arns) == 4
    error_message = "db-app is not an operator-set platform secret."
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.db_app[0].rotation_rules[0].automatically_after_days == 7
    error_message = "The runtime login rotates every 7 days by default."
  }
}

run "no_database_secret_without_database" {
  command = plan

  assert {
    condition     = !contains(keys(aws_secretsmanager_secret.this), "db-app") && length(aws_secretsmanager_secret_rotation.db_app) == 0
    error_message = "Without var.database there is no db-app secret and no rotation."
  }
}

run "rejects_a_login_name_without_room_for_the_clone_suffix" {
  command = plan

  variables {
    database = {
      host              = "db"
      master_secret_arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!db-1"
      reader_arns       = []
      username          = "a_login_name_that_is_far_too_long_for_the_clone_suffix_xyz"
    }
  }

  expect_failures = [var.database]
}

run "rejects_a_group_role_as_login" {
  command = plan

  variables {
    database = {
      host              = "db"
      master_secret_arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!db-1"
      reader_arns       = []
      username          = "conduit_app"
    }
  }

  expect_failures = [var.database]
}
