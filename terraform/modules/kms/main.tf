data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"
  admins     = length(var.administrator_arns) > 0 ? var.administrator_arns : [local.root_arn]

  # One key per purpose. `services` are the AWS services allowed to use the key on behalf of
  # principals of this account (kms:ViaService); `principal_arns` narrows the callers further.
  keys = {
    eks = {
      description    = "EKS envelope encryption of Kubernetes secrets for ${var.cluster_name}"
      services       = ["eks"]
      principal_arns = ["arn:${local.partition}:iam::${local.account_id}:role/${var.cluster_name}-cluster"]
    }
    rds = {
      description    = "RDS storage and Performance Insights for ${var.name}"
      services       = ["rds"]
      principal_arns = []
    }
    elasticache = {
      description    = "ElastiCache at-rest encryption for ${var.name}"
      services       = ["elasticache", "dax"]
      principal_arns = []
    }
    secrets = {
      description    = "Secrets Manager secrets of ${var.name}"
      services       = ["secretsmanager"]
      principal_arns = []
    }
    logs = {
      description    = "CloudWatch Logs and the alarm SNS topic of ${var.name}"
      services       = []
      principal_arns = []
    }
    ecr = {
      description    = "ECR image layers of ${var.name}"
      services       = ["ecr"]
      principal_arns = []
    }
  }
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109: a key policy's Resource "*" is the key itself; administration is limited to administrator_arns
  #checkov:skip=CKV_AWS_111: a key policy's Resource "*" is the key itself; use is constrained by kms:ViaService and kms:CallerAccount
  #checkov:skip=CKV_AWS_356: key policies cannot name other resources; "*" here means only this key
  for_each = local.keys

  statement {
    sid       = "KeyAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.admins
    }
  }

  dynamic "statement" {
    for_each = length(each.value.services) > 0 ? [each.value] : []

    content {
      sid = "UseThroughService"
      actions = [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
        "kms:CreateGrant",
        "kms:ListGrants",
      ]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [for s in statement.value.services : "${s}.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }

      dynamic "condition" {
        for_each = length(statement.value.principal_arns) > 0 ? [statement.value.principal_arns] : []

        content {
          test     = "ArnLike"
          variable = "aws:PrincipalArn"
          values   = condition.value
        }
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []

    content {
      sid = "CloudWatchLogs"
      actions = [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
      ]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []

    content {
      sid       = "CloudWatchAlarmsToEncryptedTopic"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.keys

  description             = each.value.description
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key[each.key].json

  tags = merge(var.tags, { Name = "${var.name}-${each.key}", Purpose = each.key })
}

resource "aws_kms_alias" "this" {
  for_each = local.keys

  name          = "alias/${var.name}/${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
