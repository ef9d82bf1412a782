# The CI roles' policies as IAM receives them: planned with the real provider offline (the policy
# documents are rendered locally; only the caller identity is overridden), then checked by
# tests/guard. The fixture runs at the end reintroduce each flaw and must fail the same checks.
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
    account_id = "111111111111"
  }
}

variables {
  name                        = "conduit-staging"
  environment                 = "staging"
  oidc_provider_arn           = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer                 = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  app_secret_arns             = ["arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/jwt-secret-AbCdEf"]
  plan_readable_secret_arn    = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/redis-auth-AbCdEf"
  secrets_kms_key_arn         = "arn:aws:kms:eu-west-1:111111111111:key/secrets"
  fluent_bit_log_group_arns   = ["arn:aws:logs:eu-west-1:111111111111:log-group:/aws/eks/conduit-staging/application"]
  ecr_repository_arns         = ["arn:aws:ecr:eu-west-1:111111111111:repository/api", "arn:aws:ecr:eu-west-1:111111111111:repository/web"]
  state_bucket_name           = "conduit-staging-tfstate"
  state_kms_key_arn           = "arn:aws:kms:eu-west-1:111111111111:key/state"
  create_github_oidc_provider = false
  github_oidc_provider_arn    = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
}

run "staging" {
  command = plan

  assert {
    condition     = length(jsondecode(output.github_policy_documents["apply"]).Statement) > 5
    error_message = "The apply role's policy is rendered at plan time."
  }
}

run "staging_plan_role_reads_no_secret_and_writes_only_the_lock" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    plan_policy = run.staging.github_policy_documents["plan"]
  }
}

run "staging_apply_role_cannot_raise_itself" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    apply_policy = run.staging.github_policy_documents["apply"]
  }
}

run "staging_release_trusts_release_yml_on_main_in_environment_staging" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    trust_policy              = run.staging.github_policy_documents["release_trust"]
    expected_sub              = ["repo:conduit-platform/conduit:environment:staging"]
    expected_job_workflow_ref = ["conduit-platform/conduit/.github/workflows/release.yml@refs/heads/main"]
  }
}

run "staging_plan_trusts_pull_requests_and_main_of_terraform_yml" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    trust_policy = run.staging.github_policy_documents["plan_trust"]
    expected_sub = ["repo:conduit-platform/conduit:ref:refs/heads/main", "repo:conduit-platform/conduit:pull_request"]
    expected_job_workflow_ref = [
      "conduit-platform/conduit/.github/workflows/terraform.yml@refs/heads/main",
      "conduit-platform/conduit/.github/workflows/terraform.yml@refs/pull/*/merge",
    ]
  }
}

run "staging_apply_trusts_environment_staging_of_terraform_yml_on_main" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    trust_policy              = run.staging.github_policy_documents["apply_trust"]
    expected_sub              = ["repo:conduit-platform/conduit:environment:staging"]
    expected_job_workflow_ref = ["conduit-platform/conduit/.github/workflows/terraform.yml@refs/heads/main"]
  }
}

run "production" {
  command = plan
  variables {
    name              = "conduit-production"
    environment       = "production"
    state_bucket_name = "conduit-production-tfstate"
  }
}

run "production_release_trusts_release_yml_on_v_tags_in_environment_production" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    trust_policy              = run.production.github_policy_documents["release_trust"]
    expected_sub              = ["repo:conduit-platform/conduit:environment:production"]
    expected_job_workflow_ref = ["conduit-platform/conduit/.github/workflows/release.yml@refs/tags/v*"]
  }
}

run "production_plan_is_never_reached_by_a_pull_request" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    trust_policy              = run.production.github_policy_documents["plan_trust"]
    expected_sub              = ["repo:conduit-platform/conduit:ref:refs/heads/main"]
    expected_job_workflow_ref = ["conduit-platform/conduit/.github/workflows/terraform.yml@refs/heads/main"]
  }
}

run "production_apply_role_cannot_raise_itself" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    apply_policy    = run.production.github_policy_documents["apply"]
    boundary_arn    = "arn:aws:iam::111111111111:policy/conduit-production-workload-boundary"
    apply_role_arn  = "arn:aws:iam::111111111111:role/conduit-production-github-apply"
    lock_object_arn = "arn:aws:s3:::conduit-production-tfstate/conduit/production/terraform.tfstate.tflock"
  }
}

# --- Fixtures: each reintroduces one flaw of issue 17 and must be rejected -------------------

run "guard_rejects_a_plan_role_that_reads_secrets" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    plan_policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = "secretsmanager:Get*", Resource = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/*" },
      { Effect = "Deny", Action = "secretsmanager:GetSecretValue", Resource = "*" },
    ] })
  }
  expect_failures = [output.plan_reads_no_secret_and_writes_only_the_lock]
}

run "guard_rejects_a_plan_role_that_decrypts_with_the_secrets_key" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    plan_policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = ["kms:Decrypt"], Resource = ["arn:aws:kms:eu-west-1:111111111111:key/secrets"] },
      { Effect = "Deny", Action = "secretsmanager:GetSecretValue", Resource = "*" },
    ] })
  }
  expect_failures = [output.plan_reads_no_secret_and_writes_only_the_lock]
}

run "guard_rejects_a_plan_role_that_reads_every_secret_of_the_environment" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    plan_policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/*" },
      { Effect = "Deny", Action = "secretsmanager:GetSecretValue", NotResource = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/redis-auth-AbCdEf" },
    ] })
  }
  expect_failures = [output.plan_reads_no_secret_and_writes_only_the_lock]
}

run "guard_rejects_a_plan_role_that_decrypts_any_secret_through_secrets_manager" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    plan_policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/redis-auth-AbCdEf" },
      { Effect = "Allow", Action = "kms:Decrypt", Resource = "arn:aws:kms:eu-west-1:111111111111:key/secrets", Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.eu-west-1.amazonaws.com" } } },
      { Effect = "Deny", Action = "secretsmanager:GetSecretValue", NotResource = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/redis-auth-AbCdEf" },
    ] })
  }
  expect_failures = [output.plan_reads_no_secret_and_writes_only_the_lock]
}

run "guard_rejects_a_plan_role_that_rewrites_state" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    plan_policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource = "arn:aws:s3:::conduit-staging-tfstate/conduit/staging/*" },
      { Effect = "Deny", Action = "secretsmanager:GetSecretValue", Resource = "*" },
    ] })
  }
  expect_failures = [output.plan_reads_no_secret_and_writes_only_the_lock]
}

run "guard_rejects_the_old_apply_role" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    apply_policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = ["iam:Get*", "iam:List*"], Resource = "*" },
      { Effect = "Allow", Action = "iam:*", Resource = ["arn:aws:iam::111111111111:role/conduit-staging-*", "arn:aws:iam::111111111111:policy/conduit-staging-*"] },
    ] })
  }
  expect_failures = [output.apply_cannot_raise_itself]
}

run "guard_rejects_an_apply_role_without_the_self_deny" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    apply_policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = ["iam:CreateRole", "iam:AttachRolePolicy"], Resource = "arn:aws:iam::111111111111:role/conduit-staging-*",
      Condition = { StringEquals = { "iam:PermissionsBoundary" = "arn:aws:iam::111111111111:policy/conduit-staging-workload-boundary" } } },
      { Effect = "Deny", Action = "iam:DeleteRolePermissionsBoundary", Resource = "*" },
    ] })
  }
  expect_failures = [output.apply_cannot_raise_itself]
}

run "guard_rejects_an_apply_role_that_passes_any_role" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    apply_policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = "iam:PassRole", Resource = "arn:aws:iam::111111111111:role/conduit-staging-*" },
      { Effect = "Deny", NotAction = ["iam:Get*", "iam:List*"], Resource = ["arn:aws:iam::111111111111:role/conduit-staging-github-apply", "arn:aws:iam::111111111111:policy/conduit-staging-workload-boundary"] },
      { Effect = "Deny", Action = "iam:DeleteRolePermissionsBoundary", Resource = "*" },
    ] })
  }
  expect_failures = [output.apply_cannot_raise_itself]
}

run "guard_rejects_a_release_role_trusting_any_tag_without_environment" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    trust_policy = jsonencode({ Version = "2012-10-17", Statement = [{
      Effect    = "Allow", Action = "sts:AssumeRoleWithWebIdentity",
      Principal = { Federated = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" },
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = ["repo:conduit-platform/conduit:ref:refs/heads/main", "repo:conduit-platform/conduit:ref:refs/tags/v*"] }
      }
    }] })
    expected_sub              = ["repo:conduit-platform/conduit:environment:production"]
    expected_job_workflow_ref = ["conduit-platform/conduit/.github/workflows/release.yml@refs/tags/v*"]
  }
  expect_failures = [output.trust_is_exact]
}
