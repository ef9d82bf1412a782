locals {
  log_groups = toset(["application", "host", "dataplane"])

  # Fluent Bit (kubernetes filter, Merge_Log On) ships one JSON object per line: the app's fields
  # merged at the top level beside a `kubernetes` object. The application group holds every pod of
  # the cluster, so each filter selects the app's own container first; a panic's plain-text line
  # stays under `log`.
  app_selector = "$.kubernetes.namespace_name = \"${var.app_namespace}\" && $.kubernetes.container_name = \"${var.app_container}\""

  metric_filters = {
    requests = {
      pattern = "{ ${local.app_selector} && $.status = * }"
      metric  = "HttpRequests"
    }
    server_errors = {
      pattern = "{ ${local.app_selector} && $.status >= 500 }"
      metric  = "HttpServerErrors"
    }
    exceptions = {
      pattern = "{ ${local.app_selector} && ($.level = \"ERROR\" || $.log = \"*panicked at*\") }"
      metric  = "Exceptions"
    }
  }

  # Saved CloudWatch Logs Insights queries (Logs Insights > Saved queries > <name>/...).
  app_filter = "filter kubernetes.namespace_name = \"${var.app_namespace}\" and kubernetes.container_name = \"${var.app_container}\""
  queries = {
    "server-errors"     = <<-EOT
      fields @timestamp, method, route, status, latency_ms, request_id
      | ${local.app_filter} and status >= 500
      | sort @timestamp desc
      | limit 200
    EOT
    "slowest-routes"    = <<-EOT
      fields route, latency_ms
      | ${local.app_filter} and ispresent(latency_ms)
      | stats count(*) as requests, avg(latency_ms) as avg_ms, pct(latency_ms, 99) as p99_ms by route
      | sort p99_ms desc
    EOT
    "status-by-route"   = <<-EOT
      fields route, status
      | ${local.app_filter} and ispresent(status)
      | stats count(*) as requests by route, status
      | sort requests desc
    EOT
    "errors-and-panics" = <<-EOT
      fields @timestamp, @logStream, level, message, log
      | ${local.app_filter} and (level = "ERROR" or log like /panicked at/)
      | sort @timestamp desc
      | limit 200
    EOT
    "request-trace"     = <<-EOT
      fields @timestamp, @logStream, level, message, method, route, status
      | filter request_id = "REQUEST_ID"
      | sort @timestamp asc
    EOT
  }
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = var.create_query_definitions ? local.queries : {}

  name            = "${var.name}/${each.key}"
  log_group_names = [aws_cloudwatch_log_group.this["application"].name]
  query_string    = each.value
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.log_groups

  name              = "/aws/eks/${var.cluster_name}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each = local.metric_filters

  name           = "${var.name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.this["application"].name
  pattern        = each.value.pattern

  metric_transformation {
    name          = each.value.metric
    namespace     = var.metric_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "alarms" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }

  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms.json
}

# CloudWatch alarms reach people only through a confirmed subscription: production refuses to
# plan without one (see var.alarm_email_addresses), Slack goes through Alertmanager.
resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_email_addresses)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "${var.name}-api-5xx-rate"
  alarm_description   = "More than ${var.error_rate_threshold_percent}% of requests answered 5xx for 10 minutes"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = var.error_rate_threshold_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = var.metric_namespace
      metric_name = local.metric_filters.server_errors.metric
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = var.metric_namespace
      metric_name = local.metric_filters.requests.metric
      period      = 300
      stat        = "Sum"
    }
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.this]
}

resource "aws_cloudwatch_metric_alarm" "exceptions" {
  alarm_name          = "${var.name}-api-exceptions"
  alarm_description   = "Panics or ERROR-level events in the application logs"
  namespace           = var.metric_namespace
  metric_name         = local.metric_filters.exceptions.metric
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.exception_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.this]
}
