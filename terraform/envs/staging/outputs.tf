# Passed through from modules/platform (the layout check fails if one is missing).

output "region" {
  description = "AWS region of the environment."
  value       = module.platform.region
}

output "cluster_name" {
  description = "EKS cluster name."
  value       = module.platform.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.platform.cluster_endpoint
}

output "vpc_id" {
  description = "VPC ID."
  value       = module.platform.vpc_id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC: cluster-vars VPC_CIDR, which the NetworkPolicies admit (control plane, ALB, RDS, Redis)."
  value       = module.platform.vpc_cidr
}

output "environment" {
  description = "Environment name (cluster-vars ENVIRONMENT)."
  value       = module.platform.environment
}

output "account_id" {
  description = "AWS account the environment was applied to (cluster-vars AWS_ACCOUNT_ID)."
  value       = module.platform.account_id
}

output "app_host" {
  description = "Public host name of the app (domain_name; null without one)."
  value       = module.platform.app_host
}

output "status_host" {
  description = "Host name of the status page, status.<domain_name> (null without a domain)."
  value       = module.platform.status_host
}

output "ecr_registry" {
  description = "ECR registry host of the repositories (GitHub variable ECR_REGISTRY, cluster-vars ECR_REGISTRY)."
  value       = module.platform.ecr_registry
}

output "ecr_repository_urls" {
  description = "ECR repository URLs (api, web)."
  value       = module.platform.ecr_repository_urls
}

output "api_irsa_role_arn" {
  description = "eks.amazonaws.com/role-arn of ServiceAccount conduit/conduit-api."
  value       = module.platform.api_irsa_role_arn
}

output "lb_controller_role_arn" {
  description = "eks.amazonaws.com/role-arn of kube-system/aws-load-balancer-controller."
  value       = module.platform.lb_controller_role_arn
}

output "external_secrets_role_arn" {
  description = "eks.amazonaws.com/role-arn of external-secrets/external-secrets."
  value       = module.platform.external_secrets_role_arn
}

output "fluent_bit_role_arn" {
  description = "eks.amazonaws.com/role-arn of logging/fluent-bit."
  value       = module.platform.fluent_bit_role_arn
}

output "ebs_csi_role_arn" {
  description = "Role of kube-system/ebs-csi-controller-sa (set on the add-on)."
  value       = module.platform.ebs_csi_role_arn
}

output "grafana_cloudwatch_role_arn" {
  description = "eks.amazonaws.com/role-arn of monitoring/kube-prometheus-stack-grafana."
  value       = module.platform.grafana_cloudwatch_role_arn
}

output "flux_image_reflector_role_arn" {
  description = "eks.amazonaws.com/role-arn of flux-system/image-reflector-controller."
  value       = module.platform.flux_image_reflector_role_arn
}

output "github_actions_release_role_arn" {
  description = "GitHub variable AWS_RELEASE_ROLE_ARN: push to the ECR repositories only."
  value       = module.platform.github_actions_release_role_arn
}

output "github_actions_plan_role_arn" {
  description = "GitHub variable AWS_PLAN_ROLE_ARN: read-only terraform plan."
  value       = module.platform.github_actions_plan_role_arn
}

output "github_actions_apply_role_arn" {
  description = "GitHub variable AWS_APPLY_ROLE_ARN: terraform apply from the GitHub environment only."
  value       = module.platform.github_actions_apply_role_arn
}

output "admission_controller_role_arn" {
  description = "eks.amazonaws.com/role-arn of cosign-system/policy-controller-webhook (ECR read for signature verification)."
  value       = module.platform.admission_controller_role_arn
}

output "security_findings_topic_arn" {
  description = "SNS topic receiving HIGH/CRITICAL Security Hub findings (AWS Chatbot posts it to Slack)."
  value       = module.platform.security_findings_topic_arn
}

output "db_app_secret_arn" {
  description = "conduit/<env>/db-app, the API's runtime database login (External Secrets reads it)."
  value       = module.platform.db_app_secret_arn
}

output "acm_certificate_arn" {
  description = "alb.ingress.kubernetes.io/certificate-arn (empty without domain_name)."
  value       = module.platform.acm_certificate_arn
}

output "waf_acl_arn" {
  description = "alb.ingress.kubernetes.io/wafv2-acl-arn."
  value       = module.platform.waf_acl_arn
}

output "alb_security_group_id" {
  description = "alb.ingress.kubernetes.io/security-groups."
  value       = module.platform.alb_security_group_id
}

output "db_endpoint" {
  description = "PostgreSQL host (port 5432, database conduit)."
  value       = module.platform.db_endpoint
}

output "db_master_secret_arn" {
  description = "RDS-managed secret (JSON username/password) for the ExternalSecret building DATABASE_URL."
  value       = module.platform.db_master_secret_arn
}

output "redis_endpoint" {
  description = "Redis primary endpoint (TLS, 6379)."
  value       = module.platform.redis_endpoint
}

output "jwt_secret_arn" {
  description = "conduit/<env>/jwt-secret."
  value       = module.platform.jwt_secret_arn
}

output "redis_auth_secret_arn" {
  description = "conduit/<env>/redis-auth."
  value       = module.platform.redis_auth_secret_arn
}

output "log_group_names" {
  description = "CloudWatch log groups: application, host, dataplane (Fluent Bit) and cluster (control plane)."
  value       = module.platform.log_group_names
}

output "alarm_topic_arn" {
  description = "SNS topic of the CloudWatch alarms."
  value       = module.platform.alarm_topic_arn
}

output "secret_names" {
  description = "Secrets Manager names by short name, for ExternalSecret remoteRef keys."
  value       = module.platform.secret_names
}

output "cluster_vars" {
  description = "Every kustomize/clusters/<env>/cluster-vars.yaml value Terraform knows, by key; cargo xtask cluster-vars writes them (null: not known, e.g. no domain)."
  value       = module.platform.cluster_vars
}
