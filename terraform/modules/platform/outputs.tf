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

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC: cluster-vars VPC_CIDR, which the NetworkPolicies admit (control plane, ALB, RDS, Redis)."
  value       = module.network.vpc_cidr_block
}

output "environment" {
  description = "Environment name (cluster-vars ENVIRONMENT)."
  value       = var.environment
}

output "account_id" {
  description = "AWS account the environment was applied to (cluster-vars AWS_ACCOUNT_ID)."
  value       = data.aws_caller_identity.current.account_id
}

output "app_host" {
  description = "Public host name of the app (domain_name; null without one)."
  value       = var.domain_name
}

output "status_host" {
  description = "Host name of the status page, status.<domain_name> (null without a domain)."
  value       = var.domain_name == null ? null : "status.${var.domain_name}"
}

output "ecr_registry" {
  description = "ECR registry host of the repositories (GitHub variable ECR_REGISTRY, cluster-vars ECR_REGISTRY)."
  value       = split("/", module.ecr.repository_urls["api"])[0]
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

output "admission_controller_role_arn" {
  description = "eks.amazonaws.com/role-arn of cosign-system/policy-controller-webhook (ECR read for signature verification)."
  value       = module.security.admission_controller_role_arn
}

output "security_findings_topic_arn" {
  description = "SNS topic receiving HIGH/CRITICAL Security Hub findings (AWS Chatbot posts it to Slack)."
  value       = module.security.findings_topic_arn
}

output "db_app_secret_arn" {
  description = "conduit/<env>/db-app, the API's runtime database login (External Secrets reads it)."
  value       = module.secrets.db_app_secret_arn
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

output "cluster_vars" {
  description = "Every kustomize/clusters/<env>/cluster-vars.yaml value Terraform knows, by key; cargo xtask cluster-vars writes them (null: not known, e.g. no domain)."
  value = {
    ENVIRONMENT                   = var.environment
    AWS_REGION                    = var.region
    AWS_ACCOUNT_ID                = data.aws_caller_identity.current.account_id
    CLUSTER_NAME                  = module.eks.cluster_name
    VPC_ID                        = module.network.vpc_id
    VPC_CIDR                      = module.network.vpc_cidr_block
    APP_HOST                      = var.domain_name
    STATUS_HOST                   = var.domain_name == null ? null : "status.${var.domain_name}"
    ECR_REGISTRY                  = split("/", module.ecr.repository_urls["api"])[0]
    ACM_CERTIFICATE_ARN           = module.edge.acm_certificate_arn == "" ? null : module.edge.acm_certificate_arn
    WAF_ACL_ARN                   = module.edge.waf_acl_arn
    ALB_SECURITY_GROUP_ID         = module.edge.alb_security_group_id
    API_IRSA_ROLE_ARN             = module.iam.api_role_arn
    LB_CONTROLLER_ROLE_ARN        = module.iam.irsa_role_arns["lb_controller"]
    EXTERNAL_SECRETS_ROLE_ARN     = module.iam.external_secrets_role_arn
    FLUENT_BIT_ROLE_ARN           = module.iam.irsa_role_arns["fluent_bit"]
    GRAFANA_CLOUDWATCH_ROLE_ARN   = module.iam.irsa_role_arns["grafana_cloudwatch"]
    ADMISSION_CONTROLLER_ROLE_ARN = module.security.admission_controller_role_arn
    DB_HOST                       = module.rds.endpoint
    DB_MASTER_SECRET_ARN          = module.rds.master_secret_arn
    REDIS_HOST                    = module.elasticache.primary_endpoint == "" ? null : module.elasticache.primary_endpoint
  }
}
