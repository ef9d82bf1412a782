output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones the subnets use."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "Public subnets (internet-facing ALB, NAT gateways)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (EKS nodes and pods, ElastiCache, interface endpoints)."
  value       = aws_subnet.private[*].id
}

output "database_subnet_ids" {
  description = "Isolated subnets without an internet route (RDS)."
  value       = aws_subnet.database[*].id
}

output "nat_gateway_ids" {
  description = "NAT gateways: one per AZ, or one in total when single_nat_gateway is set."
  value       = aws_nat_gateway.this[*].id
}

output "nat_public_ips" {
  description = "Public egress IPs of the NAT gateways (for third-party allow-lists)."
  value       = aws_eip.nat[*].public_ip
}

output "flow_log_group_name" {
  description = "CloudWatch log group receiving the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "vpc_endpoint_ids" {
  description = "Interface and gateway VPC endpoint IDs by service."
  value       = merge({ s3 = aws_vpc_endpoint.s3.id }, { for k, v in aws_vpc_endpoint.interface : k => v.id })
}
