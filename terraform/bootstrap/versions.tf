terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Local state on purpose: this root creates the bucket every other state lives in. Keep the
  # state file with the account's break-glass material, or migrate it into the bucket afterwards.
}

provider "aws" {
  region              = var.region
  allowed_account_ids = var.aws_account_id == null ? null : [var.aws_account_id]

  default_tags {
    tags = {
      Project     = "conduit"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
