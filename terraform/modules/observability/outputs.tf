output "log_group_names" {
  description = "Container log groups by kind: application, host, dataplane."
  value       = { for k, v in aws_cloudwatch_log_group.this : k => v.name }
}

output "log_group_arns" {
  description = "Container log group ARNs by kind (without the :* suffix)."
  value       = { for k, v in aws_cloudwatch_log_group.this : k => v.arn }
}

output "alarm_topic_arn" {
  description = "SNS topic receiving the alarms (and usable by Alertmanager)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "CloudWatch alarms on the application logs."
  value       = [aws_cloudwatch_metric_alarm.error_rate.alarm_name, aws_cloudwatch_metric_alarm.exceptions.alarm_name]
}
