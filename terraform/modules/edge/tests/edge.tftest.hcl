mock_provider "aws" {
  mock_resource "aws_acm_certificate" {
    defaults = {
      arn = "arn:aws:acm:eu-west-1:111111111111:certificate/example"
      domain_validation_options = [{
        domain_name           = "conduit.example.com"
        resource_record_name  = "_x.conduit.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_y.acm-validations.aws."
      }]
    }
  }

  mock_resource "aws_wafv2_web_acl" {
    defaults = {
      arn = "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/conduit-test/id"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:111111111111:log-group:aws-waf-logs-conduit-test"
    }
  }
}

variables {
  name                     = "conduit-test"
  vpc_id                   = "vpc-0123456789abcdef0"
  target_security_group_id = "sg-nodes"
  logs_kms_key_arn         = "arn:aws:kms:eu-west-1:111111111111:key/logs"
}

run "waf_has_managed_rules_rate_limit_and_logging" {
  assert {
    condition     = toset([for r in aws_wafv2_web_acl.this.rule : r.name]) == toset(["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet", "RateLimitPerIp"])
    error_message = "The web ACL needs the managed rule groups and the rate limit."
  }

  assert {
    condition     = aws_wafv2_web_acl.this.scope == "REGIONAL"
    error_message = "An ALB needs a regional web ACL."
  }

  assert {
    condition     = aws_wafv2_web_acl_logging_configuration.this.log_destination_configs == toset([aws_cloudwatch_log_group.waf.arn]) && startswith(aws_cloudwatch_log_group.waf.name, "aws-waf-logs-")
    error_message = "WAF logs go to an aws-waf-logs- group."
  }

  assert {
    condition     = aws_cloudwatch_log_group.waf.kms_key_id == var.logs_kms_key_arn && aws_cloudwatch_log_group.waf.retention_in_days >= 365
    error_message = "WAF logs are encrypted and retained."
  }

  assert {
    condition     = contains([for f in aws_wafv2_web_acl_logging_configuration.this.redacted_fields : f.single_header[0].name], "authorization")
    error_message = "Authorization headers must be redacted from the logs."
  }
}

run "alb_accepts_https_and_the_redirect_and_talks_only_to_the_pods" {
  assert {
    condition     = alltrue([for r in aws_security_group_rule.alb_https : r.from_port == 443 && r.to_port == 443])
    error_message = "The ALB accepts HTTPS."
  }

  assert {
    condition     = length(aws_security_group_rule.alb_http_redirect) == 1 && alltrue([for r in aws_security_group_rule.alb_http_redirect : r.from_port == 80 && r.to_port == 80])
    error_message = "The ALB admits :80 for the HTTP to HTTPS redirect the Ingresses ask for."
  }

  assert {
    condition     = toset(keys(aws_security_group_rule.alb_to_targets)) == toset(["8080", "8081"]) && alltrue([for r in aws_security_group_rule.alb_to_targets : r.source_security_group_id == "sg-nodes"])
    error_message = "The ALB forwards only to the api/web ports of the pods."
  }

  assert {
    condition     = alltrue([for r in aws_security_group_rule.targets_from_alb : r.security_group_id == "sg-nodes" && r.source_security_group_id == aws_security_group.alb.id])
    error_message = "The pods admit the ALB group on their ports."
  }
}

run "no_port_80_without_the_redirect" {
  variables {
    http_redirect = false
  }

  assert {
    condition     = length(aws_security_group_rule.alb_http_redirect) == 0
    error_message = "Without the redirect the ALB admits HTTPS only."
  }
}

run "no_certificate_without_a_domain" {
  assert {
    condition     = length(aws_acm_certificate.this) == 0 && output.acm_certificate_arn == ""
    error_message = "Without domain_name no certificate is requested."
  }
}

run "certificate_validated_by_dns" {
  variables {
    domain_name     = "conduit.example.com"
    route53_zone_id = "Z0123456789"
  }

  assert {
    condition     = aws_acm_certificate.this[0].validation_method == "DNS"
    error_message = "Certificates are validated by DNS."
  }

  assert {
    condition     = aws_route53_record.validation["conduit.example.com"].zone_id == "Z0123456789" && aws_route53_record.validation["conduit.example.com"].type == "CNAME"
    error_message = "The validation record goes into the given zone."
  }

  assert {
    condition     = length(aws_acm_certificate_validation.this) == 1
    error_message = "Terraform waits for the certificate to be issued."
  }
}

run "certificate_without_zone_exports_records" {
  variables {
    domain_name = "conduit.example.com"
  }

  assert {
    condition     = length(aws_route53_record.validation) == 0 && length(output.certificate_validation_records) == 1
    error_message = "Without a zone the records are exported for the operator."
  }
}

run "certificate_covers_the_alternative_names" {
  variables {
    domain_name               = "conduit.example.com"
    subject_alternative_names = ["status.conduit.example.com"]
  }

  assert {
    condition     = aws_acm_certificate.this[0].subject_alternative_names == toset(["status.conduit.example.com"])
    error_message = "The certificate carries the requested alternative names."
  }

  assert {
    condition     = output.certificate_domain_names == tolist(["conduit.example.com", "status.conduit.example.com"])
    error_message = "certificate_domain_names lists the subject, then the SANs."
  }
}

run "rejects_a_tiny_rate_limit" {
  command = plan

  variables {
    rate_limit_per_5_minutes = 10
  }

  expect_failures = [var.rate_limit_per_5_minutes]
}

run "rejects_an_invalid_domain" {
  command = plan

  variables {
    domain_name = "Conduit Example"
  }

  expect_failures = [var.domain_name]
}
