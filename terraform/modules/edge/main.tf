locals {
  create_certificate = var.domain_name != null
  validate_by_dns    = local.create_certificate && var.route53_zone_id != null

  # AWSManagedRulesKnownBadInputsRuleSet (Log4Shell and other known exploits) is written out
  # below so static analysis can see it.
  managed_rule_groups = {
    AWSManagedRulesAmazonIpReputationList = 10
    AWSManagedRulesCommonRuleSet          = 20
    AWSManagedRulesSQLiRuleSet            = 40
  }
}

locals {
  validation_options = local.create_certificate ? {
    for o in aws_acm_certificate.this[0].domain_validation_options : o.domain_name => o
  } : {}
}

# --- Certificate -----------------------------------------------------------------------------

resource "aws_acm_certificate" "this" {
  count = local.create_certificate ? 1 : 0

  domain_name               = var.domain_name
  subject_alternative_names = var.subject_alternative_names
  validation_method         = "DNS"
  key_algorithm             = "RSA_2048"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  # Keyed by the names in the configuration so the keys are known while planning.
  for_each = local.validate_by_dns ? toset(concat([var.domain_name], var.subject_alternative_names)) : toset([])

  zone_id         = var.route53_zone_id
  name            = local.validation_options[each.key].resource_record_name
  type            = local.validation_options[each.key].resource_record_type
  records         = [local.validation_options[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = local.validate_by_dns ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

# --- ALB security group (the controller creates the ALB itself from the Ingress) ---------------

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5: the Load Balancer Controller attaches this group to the ALB it creates from the Ingress (alb.ingress.kubernetes.io/security-groups)
  name        = "${var.name}-alb"
  description = "Internet-facing ALB: HTTPS in, pod ports out"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_security_group_rule" "alb_https" {
  for_each = toset(var.ingress_cidrs)

  type              = "ingress"
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from clients"
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = [each.value]
}

# Port 80 only reaches the ALB's own listener, whose single action redirects to HTTPS
# (alb.ingress.kubernetes.io/ssl-redirect: "443" on every Ingress); without it http:// times out.
resource "aws_security_group_rule" "alb_http_redirect" {
  #checkov:skip=CKV_AWS_260: port 80 is answered only by the ALB listener's fixed redirect to HTTPS; no target is behind it
  for_each = var.http_redirect ? toset(var.ingress_cidrs) : toset([])

  type              = "ingress"
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from clients, redirected to HTTPS by the ALB"
  protocol          = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_blocks       = [each.value]
}

resource "aws_security_group_rule" "alb_to_targets" {
  for_each = toset([for p in var.target_ports : tostring(p)])

  type                     = "egress"
  security_group_id        = aws_security_group.alb.id
  description              = "Forward to the pods on ${each.value}"
  protocol                 = "tcp"
  from_port                = tonumber(each.value)
  to_port                  = tonumber(each.value)
  source_security_group_id = var.target_security_group_id
}

resource "aws_security_group_rule" "targets_from_alb" {
  for_each = toset([for p in var.target_ports : tostring(p)])

  type                     = "ingress"
  security_group_id        = var.target_security_group_id
  description              = "ALB to the pods on ${each.value}"
  protocol                 = "tcp"
  from_port                = tonumber(each.value)
  to_port                  = tonumber(each.value)
  source_security_group_id = aws_security_group.alb.id
}

# --- WAF --------------------------------------------------------------------------------------

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "Managed rule groups and a per-IP rate limit in front of the Conduit ALB"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = local.managed_rule_groups

    content {
      name     = rule.key
      priority = rule.value

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          name        = rule.key
          vendor_name = "AWS"
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = rule.key
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 30

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "RateLimitPerIp"
    priority = 100

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.rate_limit_per_5_minutes
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "RateLimitPerIp"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

# WAF requires the aws-waf-logs- prefix for CloudWatch destinations.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}
