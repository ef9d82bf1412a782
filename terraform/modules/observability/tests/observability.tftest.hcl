mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:111111111111:conduit-test-alarms"
    }
  }
}

variables {
  name         = "conduit-test"
  cluster_name = "conduit-test"
  kms_key_arn  = "arn:aws:kms:eu-west-1:111111111111:key/logs"
}

run "log_groups_are_encrypted_and_retained" {
  assert {
    condition     = toset([for g in aws_cloudwatch_log_group.this : g.name]) == toset(["/aws/eks/conduit-test/application", "/aws/eks/conduit-test/host", "/aws/eks/conduit-test/dataplane"])
    error_message = "Fluent Bit log groups are /aws/eks/<cluster>/{application,host,dataplane}."
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == var.kms_key_arn && g.retention_in_days == 365])
    error_message = "Log groups are KMS-encrypted with a year of retention."
  }
}

run "alarms_watch_errors_and_notify" {
  assert {
    condition     = toset(keys(aws_cloudwatch_log_metric_filter.this)) == toset(["requests", "server_errors", "exceptions"]) && alltrue([for f in aws_cloudwatch_log_metric_filter.this : f.log_group_name == "/aws/eks/conduit-test/application"])
    error_message = "Metric filters on the application logs count requests, 5xx and exceptions."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.error_rate.threshold == 5 && contains(aws_cloudwatch_metric_alarm.error_rate.alarm_actions, aws_sns_topic.alarms.arn)
    error_message = "The 5xx rate alarm fires above 5% and notifies the topic."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.exceptions.threshold == 0 && contains(aws_cloudwatch_metric_alarm.exceptions.alarm_actions, aws_sns_topic.alarms.arn)
    error_message = "Any exception notifies the topic."
  }

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == var.kms_key_arn
    error_message = "The alarm topic is encrypted."
  }
}

run "email_subscribers" {
  variables {
    alarm_email_addresses = ["oncall@example.com"]
  }

  assert {
    condition     = aws_sns_topic_subscription.email["oncall@example.com"].protocol == "email"
    error_message = "Subscribers receive e-mail."
  }
}

run "rejects_unlimited_retention" {
  command = plan

  variables {
    log_retention_days = 0
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_an_impossible_threshold" {
  command = plan

  variables {
    error_rate_threshold_percent = 150
  }

  expect_failures = [var.error_rate_threshold_percent]
}

run "filters_and_queries_select_the_api_container" {
  assert {
    condition     = alltrue([for f in aws_cloudwatch_log_metric_filter.this : strcontains(f.pattern, "$.kubernetes.namespace_name = \"conduit\" && $.kubernetes.container_name = \"api\"")])
    error_message = "The application group holds every pod's logs: each metric filter must select the API container."
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_query_definition.this)) == toset(["server-errors", "slowest-routes", "status-by-route", "errors-and-panics", "request-trace"]) && alltrue([for q in aws_cloudwatch_query_definition.this : q.log_group_names == tolist(["/aws/eks/conduit-test/application"])])
    error_message = "The Logs Insights queries are saved against the application log group."
  }
}

run "a_required_subscriber_must_be_given" {
  command = plan

  variables {
    require_alarm_subscriber = true
  }

  expect_failures = [var.alarm_email_addresses]
}

run "subscribers_are_mail_addresses" {
  command = plan

  variables {
    alarm_email_addresses = ["not-an-address"]
  }

  expect_failures = [var.alarm_email_addresses]
}
