output "security_hub_standards_arns" {
  description = "Security Hub standards subscribed to, by key: fsbp, cis."
  value       = { for k, s in aws_securityhub_standards_subscription.this : k => s.standards_arn }
}

output "guardduty_detector_id" {
  description = "GuardDuty detector (EKS audit logs and runtime monitoring enabled)."
  value       = aws_guardduty_detector.this.id
}

output "cloudtrail_arn" {
  description = "The multi-region trail."
  value       = aws_cloudtrail.this.arn
}

output "security_logs_bucket" {
  description = "Bucket holding CloudTrail (cloudtrail/) and AWS Config (config/) deliveries."
  value       = aws_s3_bucket.logs.id
}

output "kms_key_arn" {
  description = "KMS key of the trail, its log group and the findings topic."
  value       = aws_kms_key.security.arn
}

output "findings_topic_arn" {
  description = "SNS topic receiving HIGH/CRITICAL findings (AWS Chatbot posts it to Slack)."
  value       = aws_sns_topic.findings.arn
}

output "chatbot_configuration_arn" {
  description = "AWS Chatbot Slack channel configuration, null when no Slack IDs are given."
  value       = local.chatbot ? aws_chatbot_slack_channel_configuration.findings[0].chat_configuration_arn : null
}

output "admission_controller_role_arn" {
  description = "IRSA role of the admission controller (cluster-vars ADMISSION_CONTROLLER_ROLE_ARN), null without the EKS OIDC inputs."
  value       = local.admission_role ? aws_iam_role.admission[0].arn : null
}
