mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111111111111"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name         = "conduit-test"
  cluster_name = "conduit-test"
}

run "one_rotating_key_per_purpose" {
  assert {
    condition     = toset(keys(aws_kms_key.this)) == toset(["eks", "rds", "elasticache", "secrets", "logs", "ecr"])
    error_message = "Expected keys for EKS, RDS, ElastiCache, Secrets Manager, CloudWatch Logs and ECR."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.enable_key_rotation && k.rotation_period_in_days == 365])
    error_message = "Every key must rotate yearly."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.deletion_window_in_days == 30])
    error_message = "Keys must keep the 30-day deletion window by default."
  }

  assert {
    condition     = aws_kms_alias.this["rds"].name == "alias/conduit-test/rds"
    error_message = "Aliases must be alias/<name>/<purpose>."
  }
}

run "policies_name_their_users" {
  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.key["eks"].statement :
      anytrue([for c in s.condition : c.variable == "aws:PrincipalArn" && contains(c.values, "arn:aws:iam::111111111111:role/conduit-test-cluster")])
    ])
    error_message = "The EKS key must be usable only by the cluster role."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.key["rds"].statement :
      anytrue([for c in s.condition : c.variable == "kms:ViaService" && contains(c.values, "rds.eu-west-1.amazonaws.com")])
    ])
    error_message = "The RDS key must be usable only through RDS."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.key["logs"].statement :
      anytrue([for p in s.principals : contains(p.identifiers, "logs.eu-west-1.amazonaws.com")])
    ])
    error_message = "The logs key must name the CloudWatch Logs service."
  }

  assert {
    condition = alltrue(flatten([
      for d in data.aws_iam_policy_document.key : [
        for s in d.statement : [for p in s.principals : !contains(p.identifiers, "*")]
      ]
    ]))
    error_message = "No key policy may grant to the wildcard principal."
  }
}

run "administrators_replace_the_root_default" {
  variables {
    administrator_arns = ["arn:aws:iam::111111111111:role/platform-admin"]
  }

  assert {
    condition = alltrue([
      for d in data.aws_iam_policy_document.key :
      anytrue([for s in d.statement : s.sid == "KeyAdministration" && anytrue([for p in s.principals : p.identifiers == toset(["arn:aws:iam::111111111111:role/platform-admin"])])])
    ])
    error_message = "administrator_arns must become the key administrators."
  }
}

run "rotation_period_can_fall_back_to_the_aws_default" {
  command = plan

  variables {
    rotation_period_in_days = null
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.enable_key_rotation])
    error_message = "Rotation stays on without an explicit period."
  }
}

run "rejects_a_short_deletion_window" {
  command = plan

  variables {
    deletion_window_in_days = 3
  }

  expect_failures = [var.deletion_window_in_days]
}

run "rejects_a_rotation_period_out_of_range" {
  command = plan

  variables {
    rotation_period_in_days = 30
  }

  expect_failures = [var.rotation_period_in_days]
}
