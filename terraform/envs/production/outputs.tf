output "region" {
  description = "AWS region of the environment."
  value       = var.region
}

output "cluster_name" {
  description = "EKS cluster name."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.eks.cluster_endpoint
}

output "vpc_id" {
  description = "VPC ID."
  value       = module.network.vpc_id
}

output "ecr_repository_urls" {
  description = "ECR repository URLs (api, web)."
  value       = module.ecr.repository_urls
}

output "api_irsa_role_arn" {
  description = "eks.amazonaws.com/role-arn of ServiceAccount conduit/conduit-api."
  value       = module.iam.api_role_arn
}

output "lb_controller_role_arn" {
  description = "eks.amazonaws.com/role-arn of kube-system/aws-load-balancer-controller."
  value       = module.iam.irsa_role_arns["lb_controller"]
}

output "external_secrets_role_arn" {
  description = "eks.amazonaws.com/role-arn of external-secrets/external-secrets."
  value       = module.iam.external_secrets_role_arn
}

output "fluent_bit_role_arn" {
  description = "eks.amazonaws.com/role-arn of logging/fluent-bit."
  value       = module.iam.irsa_role_arns["fluent_bit"]
}

output "ebs_csi_role_arn" {
  description = "Role of kube-system/ebs-csi-controller-sa (set on the add-on)."
  value       = module.iam.irsa_role_arns["ebs_csi"]
}

output "grafana_cloudwatch_role_arn" {
  description = "eks.amazonaws.com/role-arn of monitoring/kube-prometheus-stack-grafana."
  value       = module.iam.irsa_role_arns["grafana_cloudwatch"]
}

output "flux_image_reflector_role_arn" {
  description = "eks.amazonaws.com/role-arn of flux-system/image-reflector-controller."
  value       = module.iam.irsa_role_arns["flux_image_reflector"]
}

output "github_actions_release_role_arn" {
  description = "GitHub variable AWS_RELEASE_ROLE_ARN: push to the ECR repositories only."
  value       = module.iam.github_release_role_arn
}

output "github_actions_plan_role_arn" {
  description = "GitHub variable AWS_PLAN_ROLE_ARN: read-only terraform plan."
  value       = module.iam.github_plan_role_arn
}

output "github_actions_apply_role_arn" {
  description = "GitHub variable AWS_APPLY_ROLE_ARN: terraform apply from the GitHub environment only."
  value       = module.iam.github_apply_role_arn
}

output "acm_certificate_arn" {
  description = "alb.ingress.kubernetes.io/certificate-arn (empty without domain_name)."
  value       = module.edge.acm_certificate_arn
}

output "waf_acl_arn" {
  description = "alb.ingress.kubernetes.io/wafv2-acl-arn."
  value       = module.edge.waf_acl_arn
}

output "alb_security_group_id" {
  description = "alb.ingress.kubernetes.io/security-groups."
  value       = module.edge.alb_security_group_id
}

output "db_endpoint" {
  description = "PostgreSQL host (port 5432, database conduit)."
  value       = module.rds.endpoint
}

output "db_master_secret_arn" {
  description = "RDS-managed secret (JSON username/password) for the ExternalSecret building DATABASE_URL."
  value       = module.rds.master_secret_arn
}

output "redis_endpoint" {
  description = "Redis primary endpoint (TLS, 6379)."
  value       = module.elasticache.primary_endpoint
}

output "jwt_secret_arn" {
  description = "conduit/<env>/jwt-secret."
  value       = module.secrets.jwt_secret_arn
}

output "redis_auth_secret_arn" {
  description = "conduit/<env>/redis-auth."
  value       = module.secrets.redis_auth_secret_arn
}

output "log_group_names" {
  description = "CloudWatch log groups: application, host, dataplane (Fluent Bit) and cluster (control plane)."
  value       = merge(module.observability.log_group_names, { cluster = module.eks.cluster_log_group_name })
}

output "alarm_topic_arn" {
  description = "SNS topic of the CloudWatch alarms."
  value       = module.observability.alarm_topic_arn
}

output "secret_names" {
  description = "Secrets Manager names by short name, for ExternalSecret remoteRef keys."
  value       = module.secrets.secret_names
}
