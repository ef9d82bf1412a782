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

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:111111111111:key/security"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:111111111111:conduit-test-security-findings"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:111111111111:rule/conduit-test-security-findings"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/cloudtrail/conduit-test"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::conduit-test-security-logs-111111111111"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111111111111:role/conduit-test-x"
    }
  }
}

variables {
  name = "conduit-test"
}

run "security_hub_runs_both_standards" {
  assert {
    condition     = aws_securityhub_account.this[0].enable_default_standards == false && aws_securityhub_account.this[0].control_finding_generator == "SECURITY_CONTROL"
    error_message = "Security Hub subscribes its standards explicitly and consolidates control findings."
  }

  assert {
    condition = (
      aws_securityhub_standards_subscription.this["fsbp"].standards_arn == "arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0" &&
      aws_securityhub_standards_subscription.this["cis"].standards_arn == "arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0"
    )
    error_message = "AWS Foundational Security Best Practices and CIS AWS Foundations Benchmark 3.0.0 are subscribed."
  }
}

run "guardduty_watches_eks" {
  assert {
    condition     = aws_guardduty_detector.this.enable
    error_message = "GuardDuty is enabled."
  }

  assert {
    condition     = aws_guardduty_detector_feature.eks_audit_logs.name == "EKS_AUDIT_LOGS" && aws_guardduty_detector_feature.eks_audit_logs.status == "ENABLED"
    error_message = "EKS audit-log monitoring is enabled."
  }

  assert {
    condition = (
      aws_guardduty_detector_feature.runtime_monitoring[0].name == "RUNTIME_MONITORING" &&
      aws_guardduty_detector_feature.runtime_monitoring[0].status == "ENABLED" &&
      anytrue([for c in aws_guardduty_detector_feature.runtime_monitoring[0].additional_configuration : c.name == "EKS_ADDON_MANAGEMENT" && c.status == "ENABLED"])
    )
    error_message = "Runtime monitoring is enabled with GuardDuty managing the EKS agent add-on."
  }
}

run "cloudtrail_is_multi_region_encrypted_and_validated" {
  assert {
    condition = (
      aws_cloudtrail.this.is_multi_region_trail &&
      aws_cloudtrail.this.enable_log_file_validation &&
      aws_cloudtrail.this.include_global_service_events &&
      aws_cloudtrail.this.kms_key_id == aws_kms_key.security.arn
    )
    error_message = "The trail is multi-region, validates its log files and is encrypted with the security key."
  }

  assert {
    condition     = aws_cloudtrail.this.cloud_watch_logs_group_arn == "${aws_cloudwatch_log_group.trail.arn}:*" && aws_cloudwatch_log_group.trail.retention_in_days >= 365 && aws_cloudwatch_log_group.trail.kms_key_id == aws_kms_key.security.arn
    error_message = "The trail also goes to an encrypted log group kept a year."
  }

  assert {
    condition     = aws_kms_key.security.enable_key_rotation
    error_message = "The security key rotates."
  }

  # CloudTrail may use the key and write to the bucket only for this trail (aws:SourceArn).
  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.logs_bucket.statement : anytrue([
        for c in s.condition : c.variable == "aws:SourceArn" && toset(c.values) == toset(["arn:aws:cloudtrail:eu-west-1:111111111111:trail/conduit-test-trail"])
      ]) if s.sid != "TlsOnly"
    ])
    error_message = "Every CloudTrail grant in the bucket policy is bound to this trail."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.logs_bucket.statement : s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && toset(c.values) == toset(["false"])])
    ])
    error_message = "The bucket denies requests without TLS."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.key.statement : s.sid == "CloudTrailEncryptsThisTrail" && anytrue([for c in s.condition : c.variable == "aws:SourceArn" && toset(c.values) == toset(["arn:aws:cloudtrail:eu-west-1:111111111111:trail/conduit-test-trail"])])
    ])
    error_message = "CloudTrail may encrypt with the key only for this trail."
  }
}

run "config_records_everything" {
  assert {
    condition     = length(aws_iam_role_policy_attachment.config) == 1 && aws_iam_role_policy_attachment.config[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
    error_message = "The recorder role has the AWS managed Config policy."
  }

  assert {
    condition = (
      aws_config_configuration_recorder.this.recording_group[0].all_supported &&
      aws_config_configuration_recorder.this.recording_group[0].include_global_resource_types &&
      aws_config_configuration_recorder_status.this.is_enabled
    )
    error_message = "AWS Config records every supported resource type, global ones included, and is running."
  }

  assert {
    condition     = aws_config_delivery_channel.this.s3_bucket_name == aws_s3_bucket.logs.id && aws_config_delivery_channel.this.s3_kms_key_arn == aws_kms_key.security.arn
    error_message = "Config delivers encrypted snapshots to the security logs bucket."
  }
}

run "high_and_critical_findings_reach_the_topic" {
  assert {
    condition = (
      jsondecode(aws_cloudwatch_event_rule.findings.event_pattern).source == ["aws.securityhub"] &&
      jsondecode(aws_cloudwatch_event_rule.findings.event_pattern)["detail-type"] == ["Security Hub Findings - Imported"] &&
      toset(jsondecode(aws_cloudwatch_event_rule.findings.event_pattern).detail.findings.Severity.Label) == toset(["HIGH", "CRITICAL"])
    )
    error_message = "The rule selects imported Security Hub findings of severity HIGH and CRITICAL."
  }

  assert {
    condition     = aws_cloudwatch_event_target.findings.arn == aws_sns_topic.findings.arn && aws_sns_topic.findings.kms_master_key_id == aws_kms_key.security.arn
    error_message = "Matching findings go to the encrypted findings topic."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.findings_topic.statement : contains(s.actions, "sns:Publish") && anytrue([for p in s.principals : contains(p.identifiers, "events.amazonaws.com")]) && anytrue([for c in s.condition : c.variable == "aws:SourceArn" && toset(c.values) == toset([aws_cloudwatch_event_rule.findings.arn])])
    ])
    error_message = "Only the findings rule may publish to the topic."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.key.statement : anytrue([for p in s.principals : contains(p.identifiers, "events.amazonaws.com")]) && contains(s.actions, "kms:GenerateDataKey*")
    ])
    error_message = "EventBridge may use the key of the encrypted topic (otherwise it silently drops the findings)."
  }

  assert {
    condition     = length(aws_chatbot_slack_channel_configuration.findings) == 0 && output.chatbot_configuration_arn == null
    error_message = "Without Slack IDs there is no Chatbot channel."
  }
}

run "slack_through_chatbot" {
  variables {
    slack_team_id    = "T0123456789"
    slack_channel_id = "C0123456789"
  }

  assert {
    condition = (
      aws_chatbot_slack_channel_configuration.findings[0].sns_topic_arns == toset([aws_sns_topic.findings.arn]) &&
      aws_chatbot_slack_channel_configuration.findings[0].slack_channel_id == "C0123456789" &&
      aws_chatbot_slack_channel_configuration.findings[0].user_authorization_required
    )
    error_message = "Chatbot posts the findings topic to the channel and requires user authorisation."
  }

  assert {
    condition     = aws_chatbot_slack_channel_configuration.findings[0].guardrail_policy_arns == tolist(["arn:aws:iam::aws:policy/AWSDenyAll"])
    error_message = "Nobody can run AWS commands from the channel."
  }
}

run "admission_controller_reads_ecr_only" {
  variables {
    eks_oidc_provider_arn = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    eks_oidc_issuer       = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    ecr_repository_arns   = ["arn:aws:ecr:eu-west-1:111111111111:repository/api", "arn:aws:ecr:eu-west-1:111111111111:repository/web"]
  }

  assert {
    condition = anytrue([
      for c in data.aws_iam_policy_document.admission_assume[0].statement[0].condition : c.variable == "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub" && toset(c.values) == toset(["system:serviceaccount:cosign-system:policy-controller-webhook"])
    ])
    error_message = "Only cosign-system/policy-controller-webhook may assume the role."
  }

  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.admission[0].statement : [for a in s.actions : contains(["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:ListImages"], a)]
    ]))
    error_message = "The admission controller only reads ECR."
  }

  assert {
    condition     = output.admission_controller_role_arn != null
    error_message = "The role ARN is an output (cluster-vars ADMISSION_CONTROLLER_ROLE_ARN)."
  }
}

run "no_admission_role_without_the_cluster" {
  assert {
    condition     = length(aws_iam_role.admission) == 0 && output.admission_controller_role_arn == null
    error_message = "No IRSA role without the EKS OIDC inputs."
  }
}

run "every_role_carries_the_boundary" {
  variables {
    permissions_boundary_arn = "arn:aws:iam::111111111111:policy/conduit-test-boundary"
    slack_team_id            = "T0123456789"
    slack_channel_id         = "C0123456789"
    eks_oidc_provider_arn    = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    eks_oidc_issuer          = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    ecr_repository_arns      = ["arn:aws:ecr:eu-west-1:111111111111:repository/api"]
  }

  assert {
    condition = alltrue([
      for r in concat([aws_iam_role.trail, aws_iam_role.config], aws_iam_role.chatbot, aws_iam_role.admission) : r.permissions_boundary == "arn:aws:iam::111111111111:policy/conduit-test-boundary"
    ])
    error_message = "Every role the module creates carries the permissions boundary."
  }
}

# Rejected inputs.
run "rejects_unknown_severity" {
  command = plan

  variables {
    alert_severities = ["SEVERE"]
  }

  expect_failures = [var.alert_severities]
}

run "rejects_short_log_retention" {
  command = plan

  variables {
    log_retention_days = 30
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_admission_role_without_repositories" {
  command = plan

  variables {
    eks_oidc_provider_arn = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    eks_oidc_issuer       = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  }

  expect_failures = [aws_iam_role_policy.admission]
}

run "rejects_admission_role_without_the_cluster_oidc_provider" {
  command = plan

  variables {
    create_admission_role = true
    ecr_repository_arns   = ["arn:aws:ecr:eu-west-1:111111111111:repository/api"]
  }

  expect_failures = [var.create_admission_role]
}
