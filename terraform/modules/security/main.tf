# AWS security services of one environment account: Security Hub (AWS Foundational Security Best
# Practices + CIS AWS Foundations Benchmark), GuardDuty (EKS audit logs, runtime monitoring),
# CloudTrail (cloudtrail.tf) and AWS Config (config.tf), and the path by which HIGH/CRITICAL
# findings reach Slack: EventBridge rule -> SNS topic -> AWS Chatbot.
#
# Resources and arguments: hashicorp/terraform-provider-aws v5.100.0, website/docs/r/<resource>.html.markdown
# (checked against `terraform providers schema -json` of the 5.100.0 provider).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Standards ARNs: securityhub_standards_subscription.html.markdown (table of available standards).
  standards = {
    fsbp = "arn:${local.partition}:securityhub:${local.region}::standards/aws-foundational-security-best-practices/v/1.0.0"
    cis  = "arn:${local.partition}:securityhub:${local.region}::standards/cis-aws-foundations-benchmark/v/${var.cis_standard_version}"
  }

  trail_name     = "${var.name}-trail"
  trail_arn      = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
  trail_log_name = "/aws/cloudtrail/${var.name}"
  chatbot        = var.slack_team_id != null && var.slack_channel_id != null
}

# --- One key for the security data: trail, its log group, the findings topic ------------------

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109: a key policy's Resource "*" is the key itself; the account root delegates administration to IAM policies
  #checkov:skip=CKV_AWS_111: a key policy's Resource "*" is the key itself; each service statement is bound to its source by conditions
  #checkov:skip=CKV_AWS_356: key policies cannot name other resources; "*" here means only this key
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudTrail encrypts log files for this account's trail only (CloudTrail user guide,
  # "Configure AWS KMS key policies for CloudTrail").
  statement {
    sid       = "CloudTrailEncryptsThisTrail"
    actions   = ["kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:cloudtrail:arn"
      values   = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
    }
  }

  statement {
    sid       = "CloudTrailDescribesKey"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  # CloudWatch Logs encrypts the trail's log group only.
  statement {
    sid       = "LogsEncryptTrailLogGroup"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.trail_log_name}"]
    }
  }

  # EventBridge publishes to the encrypted findings topic (EventBridge user guide, "Amazon SNS
  # permissions": an encrypted topic needs these two actions for events.amazonaws.com).
  statement {
    sid       = "EventBridgePublishesFindings"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "security" {
  description             = "${var.name} security services: CloudTrail, its log group, the findings topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "security" {
  name          = "alias/${var.name}/security"
  target_key_id = aws_kms_key.security.key_id
}

# --- Security Hub -----------------------------------------------------------------------------

resource "aws_securityhub_account" "this" {
  count = var.enable_security_hub ? 1 : 0

  # The two standards below are subscribed explicitly; consolidated control findings (one finding
  # per control across standards) keep Slack free of duplicates.
  enable_default_standards  = false
  control_finding_generator = "SECURITY_CONTROL"
  auto_enable_controls      = true
}

resource "aws_securityhub_standards_subscription" "this" {
  for_each = var.enable_security_hub ? local.standards : {}

  standards_arn = each.value

  depends_on = [aws_securityhub_account.this]
}

# --- GuardDuty --------------------------------------------------------------------------------

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3: each environment is a standalone account; organisation-wide auto-enable belongs to an Organizations delegated admin, not this module
  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"
  tags                         = var.tags
}

# Feature names: guardduty_detector_feature.html.markdown (DetectorFeature API values).
resource "aws_guardduty_detector_feature" "eks_audit_logs" {
  detector_id = aws_guardduty_detector.this.id
  name        = "EKS_AUDIT_LOGS"
  status      = "ENABLED"
}

resource "aws_guardduty_detector_feature" "runtime_monitoring" {
  count = var.enable_guardduty_runtime_monitoring ? 1 : 0

  detector_id = aws_guardduty_detector.this.id
  name        = "RUNTIME_MONITORING"
  status      = "ENABLED"

  # GuardDuty installs and updates its security agent as an EKS add-on.
  additional_configuration {
    name   = "EKS_ADDON_MANAGEMENT"
    status = "ENABLED"
  }
}

# --- HIGH and CRITICAL findings to Slack ------------------------------------------------------

# Security Hub imports GuardDuty's findings as well, so one rule on Security Hub sees both.
resource "aws_cloudwatch_event_rule" "findings" {
  name        = "${var.name}-security-findings"
  description = "New, active Security Hub findings of severity ${join("/", var.alert_severities)}"
  event_pattern = jsonencode({
    source        = ["aws.securityhub"]
    "detail-type" = ["Security Hub Findings - Imported"]
    detail = {
      findings = {
        Severity    = { Label = var.alert_severities }
        Workflow    = { Status = ["NEW"] }
        RecordState = ["ACTIVE"]
      }
    }
  })
  tags = var.tags
}

resource "aws_sns_topic" "findings" {
  name              = "${var.name}-security-findings"
  kms_master_key_id = aws_kms_key.security.arn
  tags              = var.tags
}

data "aws_iam_policy_document" "findings_topic" {
  statement {
    sid       = "EventBridgeRulePublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.findings.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.findings.arn]
    }
  }

  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.findings.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "findings" {
  arn    = aws_sns_topic.findings.arn
  policy = data.aws_iam_policy_document.findings_topic.json
}

resource "aws_cloudwatch_event_target" "findings" {
  rule      = aws_cloudwatch_event_rule.findings.name
  target_id = "sns"
  arn       = aws_sns_topic.findings.arn
}

# AWS Chatbot posts what arrives on the topic. The channel role only needs to exist: it is
# notification-only, and the guardrail denies everything to anyone running commands from Slack.
data "aws_iam_policy_document" "chatbot_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["chatbot.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "chatbot" {
  count = local.chatbot ? 1 : 0

  name                 = "${var.name}-chatbot"
  description          = "AWS Chatbot channel of ${var.name}: notifications only"
  assume_role_policy   = data.aws_iam_policy_document.chatbot_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_chatbot_slack_channel_configuration" "findings" {
  count = local.chatbot ? 1 : 0

  configuration_name          = "${var.name}-security-findings"
  iam_role_arn                = aws_iam_role.chatbot[0].arn
  slack_team_id               = var.slack_team_id
  slack_channel_id            = var.slack_channel_id
  sns_topic_arns              = [aws_sns_topic.findings.arn]
  guardrail_policy_arns       = ["arn:${local.partition}:iam::aws:policy/AWSDenyAll"]
  user_authorization_required = true
  logging_level               = "ERROR"
  tags                        = var.tags
}
