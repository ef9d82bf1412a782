output "cluster_name" {
  description = "EKS cluster name."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "EKS cluster ARN."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA bundle of the Kubernetes API."
  value       = one(aws_eks_cluster.this.certificate_authority[*].data)
}

output "oidc_provider_arn" {
  description = "IAM OIDC provider ARN for IRSA trust policies."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer" {
  description = "OIDC issuer host and path without https:// (the prefix of the :sub and :aud condition keys)."
  value       = replace(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")
}

output "node_security_group_id" {
  description = "Security group of nodes and pods; RDS, ElastiCache and the ALB reference it."
  value       = aws_security_group.node.id
}

output "cluster_security_group_id" {
  description = "Additional security group of the control plane ENIs."
  value       = aws_security_group.cluster.id
}

output "node_role_arn" {
  description = "IAM role of the managed nodes."
  value       = aws_iam_role.node.arn
}

output "cluster_role_arn" {
  description = "IAM role of the control plane."
  value       = aws_iam_role.cluster.arn
}

output "cluster_log_group_name" {
  description = "CloudWatch log group of the control-plane logs."
  value       = aws_cloudwatch_log_group.cluster.name
}

output "launch_template_id" {
  description = "Launch template of the managed nodes."
  value       = try(aws_launch_template.node[0].id, null)
}

output "endpoint_public_access" {
  description = "Whether the Kubernetes API also has a public endpoint (temporary, for flux bootstrap/break-glass)."
  value       = aws_eks_cluster.this.vpc_config[0].endpoint_public_access
}

output "public_access_cidrs" {
  description = "Addresses admitted to the public endpoint (empty while it is off)."
  value       = var.endpoint_public_access ? var.public_access_cidrs : []
}
