# The bucket policy as S3 receives it: planned with the real provider offline (policy documents
# render locally; the caller identity and the key ARN are overridden), then checked by
# tests/guard. The fixture runs reintroduce the flaws of issue 17 and must fail.
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

override_resource {
  target          = aws_kms_key.state
  override_during = plan
  values = {
    arn    = "arn:aws:kms:eu-west-1:111111111111:key/state"
    key_id = "state"
  }
}

variables {
  environment = "staging"
}

run "plan" {
  command = plan

  assert {
    condition     = output.state_kms_key_arn == "arn:aws:kms:eu-west-1:111111111111:key/state"
    error_message = "The key ARN override is in effect."
  }
}

run "bucket_policy_enforces_tls_and_the_state_key" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    bucket_policy     = run.plan.state_bucket_policy
    bucket_arn        = "arn:aws:s3:::conduit-staging-tfstate-111111111111"
    state_kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/state"
  }
}

run "guard_rejects_the_tls_only_policy" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    bucket_policy = jsonencode({ Version = "2012-10-17", Statement = [{
      Effect    = "Deny", Principal = "*", Action = "s3:*",
      Resource  = ["arn:aws:s3:::conduit-staging-tfstate-111111111111", "arn:aws:s3:::conduit-staging-tfstate-111111111111/*"],
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }] })
    bucket_arn        = "arn:aws:s3:::conduit-staging-tfstate-111111111111"
    state_kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/state"
  }
  expect_failures = [output.bucket_policy_enforces_tls_and_the_state_key]
}

run "guard_rejects_a_policy_that_lets_a_missing_encryption_header_through" {
  command = plan
  module {
    source = "./tests/guard"
  }
  variables {
    bucket_policy = jsonencode({ Version = "2012-10-17", Statement = [
      {
        Effect    = "Deny", Principal = "*", Action = "s3:*",
        Resource  = ["arn:aws:s3:::conduit-staging-tfstate-111111111111", "arn:aws:s3:::conduit-staging-tfstate-111111111111/*"],
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Effect    = "Deny", Principal = "*", Action = "s3:PutObject", Resource = "arn:aws:s3:::conduit-staging-tfstate-111111111111/*",
        Condition = { StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption" = "aws:kms" } }
      },
      {
        Effect    = "Deny", Principal = "*", Action = "s3:PutObject", Resource = "arn:aws:s3:::conduit-staging-tfstate-111111111111/*",
        Condition = { StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "arn:aws:kms:eu-west-1:111111111111:key/state" } }
      },
    ] })
    bucket_arn        = "arn:aws:s3:::conduit-staging-tfstate-111111111111"
    state_kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/state"
  }
  expect_failures = [output.bucket_policy_enforces_tls_and_the_state_key]
}
