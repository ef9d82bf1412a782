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

output "query_definition_names" {
  description = "Saved Logs Insights queries (CloudWatch > Logs Insights > Saved queries)."
  value       = [for q in aws_cloudwatch_query_definition.this : q.name]
}

output "metric_filter_patterns" {
  description = "Metric filter patterns by name (each selects the app's container)."
  value       = { for k, f in aws_cloudwatch_log_metric_filter.this : k => f.pattern }
}

output "log_retention_days" {
  description = "Retention of the container log groups, in days."
  value       = one(distinct([for g in aws_cloudwatch_log_group.this : g.retention_in_days]))
}
