mock_provider "aws" {
  mock_resource "aws_ecr_repository" {
    defaults = {
      registry_id = "111111111111"
    }
  }
}

variables {
  kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/ecr"
}

run "repositories_are_immutable_scanned_and_encrypted" {
  assert {
    condition     = toset(keys(aws_ecr_repository.this)) == toset(["api", "web"])
    error_message = "The repositories are api and web."
  }

  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : r.image_tag_mutability == "IMMUTABLE"])
    error_message = "Tags must be immutable."
  }

  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : r.image_scanning_configuration[0].scan_on_push])
    error_message = "Images must be scanned on push."
  }

  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : r.encryption_configuration[0].encryption_type == "KMS" && r.encryption_configuration[0].kms_key == var.kms_key_arn])
    error_message = "Layers must be encrypted with the ECR key."
  }

  assert {
    condition     = alltrue([for r in aws_ecr_repository.this : !r.force_delete])
    error_message = "Repositories with images must not be deleted by Terraform."
  }
}

run "lifecycle_keeps_the_newest_and_expires_untagged" {
  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this["api"].policy).rules[0].selection.tagStatus == "untagged"
    error_message = "Untagged images must expire."
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this["api"].policy).rules[1].selection.countNumber == 30 && jsondecode(aws_ecr_lifecycle_policy.this["api"].policy).rules[1].selection.tagPrefixList == ["main-"]
    error_message = "The newest 30 main builds are kept."
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this["web"].policy).rules[2].selection.tagPatternList == ["*.*.*"]
    error_message = "Releases have their own, larger budget."
  }
}

run "rejects_keeping_too_few_images" {
  command = plan

  variables {
    keep_main_images = 1
  }

  expect_failures = [var.keep_main_images]
}

run "rejects_invalid_repository_names" {
  command = plan

  variables {
    repositories = ["API"]
  }

  expect_failures = [var.repositories]
}
