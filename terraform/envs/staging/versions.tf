terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: the bucket and the state key are per account and given at init time
  # (the bootstrap root's outputs; terraform.yml passes both):
  #   terraform init -backend-config="bucket=conduit-staging-tfstate-<account id>" \
  #                  -backend-config="kms_key_id=<state_kms_key_arn>"
  # Without kms_key_id, `encrypt = true` makes the backend send SSE-S3 (AES256), which the bucket
  # policy refuses: state and lock objects are written only with SSE-KMS under the state key.
  backend "s3" {
    key          = "conduit/staging/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region              = var.region
  allowed_account_ids = var.aws_account_id == null ? null : [var.aws_account_id]

  default_tags {
    tags = {
      Project     = "conduit"
      Environment = local.environment
      ManagedBy   = "terraform"
      Repository  = var.github_repository
    }
  }
}
