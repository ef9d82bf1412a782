# Fixtures of layout.yaml (`semgrep --test`): each `ruleid` line below must be reported.

module "platform" {
  source = "../../modules/platform"
}

# ruleid: tf-environment-is-a-thin-root
module "rds" {
  source = "../../modules/rds"
}

# ruleid: tf-environment-is-a-thin-root
resource "aws_s3_bucket" "extra" {}

provider "aws" {
  # ruleid: tf-no-emulator-or-credential-settings
  skip_credentials_validation = true
  # ruleid: tf-no-emulator-or-credential-settings
  access_key = "testing"
  # ruleid: tf-no-emulator-or-credential-settings
  endpoints {
    # ruleid: tf-no-emulator-or-credential-settings
    s3 = "http://127.0.0.1:5000"
  }
}

terraform {
  required_providers {
    # ruleid: tf-aws-provider-pinned
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
  # ruleid: tf-environment-backend-locked-and-encrypted
  backend "s3" {
    key     = "conduit/staging/terraform.tfstate"
    encrypt = true
  }
}

# ruleid: tf-described
variable "undocumented" {
  type = string
}

output "documented" {
  description = "A described output passes."
  value       = 1
}

module "platform" {
  source = "../../modules/platform"
  # ruleid: tf-checkov-skip-has-reason
  #checkov:skip=CKV_AWS_1: too short
  #checkov:skip=CKV_AWS_2: a reason long enough to say why the check does not apply
}
