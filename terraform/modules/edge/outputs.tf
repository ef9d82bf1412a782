output "acm_certificate_arn" {
  description = "Certificate for alb.ingress.kubernetes.io/certificate-arn (validated when a zone is given); empty without a domain."
  value       = local.validate_by_dns ? aws_acm_certificate_validation.this[0].certificate_arn : try(aws_acm_certificate.this[0].arn, "")
}

output "certificate_domain_names" {
  description = "Names the certificate covers: the subject, then the other SANs sorted; empty without a domain."
  value = local.create_certificate ? concat(
    [aws_acm_certificate.this[0].domain_name],
    sort(tolist(setsubtract(aws_acm_certificate.this[0].subject_alternative_names, [aws_acm_certificate.this[0].domain_name]))),
  ) : []
}

output "certificate_validation_records" {
  description = "DNS records to create by hand when no Route 53 zone is given."
  value = local.create_certificate ? [
    for o in aws_acm_certificate.this[0].domain_validation_options : {
      name  = o.resource_record_name
      type  = o.resource_record_type
      value = o.resource_record_value
    }
  ] : []
}

output "waf_acl_arn" {
  description = "Web ACL for alb.ingress.kubernetes.io/wafv2-acl-arn."
  value       = aws_wafv2_web_acl.this.arn
}

output "alb_security_group_id" {
  description = "Security group for alb.ingress.kubernetes.io/security-groups."
  value       = aws_security_group.alb.id
}

output "waf_log_group_name" {
  description = "CloudWatch log group of the WAF logs."
  value       = aws_cloudwatch_log_group.waf.name
}
