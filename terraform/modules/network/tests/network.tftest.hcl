mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/vpc/conduit-test/flow-logs"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111111111111:role/conduit-test-vpc-flow-logs"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }
}

variables {
  name                 = "conduit-test"
  cluster_name         = "conduit-test"
  flow_log_kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/logs"
}

run "production_has_a_nat_gateway_per_az" {
  variables {
    az_count           = 3
    single_nat_gateway = false
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "Production must have one NAT gateway per AZ."
  }

  assert {
    condition     = alltrue([for i in range(3) : aws_route.private_nat[i].nat_gateway_id == aws_nat_gateway.this[i].id])
    error_message = "Each private route table must use the NAT gateway of its own AZ."
  }

  assert {
    condition     = length(distinct([for s in aws_subnet.private : s.availability_zone])) == 3
    error_message = "Private subnets must span three AZs."
  }

  assert {
    condition     = aws_vpc.this.cidr_block == "10.0.0.0/16"
    error_message = "The VPC must be 10.0.0.0/16."
  }
}

run "staging_shares_one_nat_gateway" {
  variables {
    az_count           = 2
    single_nat_gateway = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_subnet.private) == 2
    error_message = "Staging uses one NAT gateway over two AZs."
  }

  assert {
    condition     = alltrue([for r in aws_route.private_nat : r.nat_gateway_id == aws_nat_gateway.this[0].id])
    error_message = "All private routes must go through the single NAT gateway."
  }
}

run "subnets_are_tiered_and_tagged" {
  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "Public subnets must not assign public IPs automatically."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.tags["kubernetes.io/role/elb"] == "1"])
    error_message = "Public subnets need the kubernetes.io/role/elb tag for internet-facing ALBs."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.private : s.tags["kubernetes.io/role/internal-elb"] == "1"])
    error_message = "Private subnets need the kubernetes.io/role/internal-elb tag."
  }

  assert {
    condition     = alltrue([for a in aws_route_table_association.database : a.route_table_id == aws_route_table.database.id])
    error_message = "Database subnets must use the isolated route table."
  }

  assert {
    condition     = alltrue(concat([for r in aws_route.private_nat : r.route_table_id != aws_route_table.database.id], [aws_route.public_internet.route_table_id != aws_route_table.database.id]))
    error_message = "The database route table must have no route to the internet."
  }
}

run "default_security_group_is_locked_down" {
  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must have no rules."
  }
}

run "flow_logs_are_encrypted_and_retained" {
  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.log_destination_type == "cloud-watch-logs"
    error_message = "Flow logs must capture all traffic into CloudWatch Logs."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == var.flow_log_kms_key_arn
    error_message = "The flow log group must be KMS-encrypted."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.retention_in_days >= 365
    error_message = "Flow logs must be kept for at least a year."
  }
}

run "vpc_endpoints_cover_image_pulls_and_secrets" {
  assert {
    condition     = alltrue([for s in ["ecr.api", "ecr.dkr", "sts", "secretsmanager", "logs"] : contains(keys(aws_vpc_endpoint.interface), s)])
    error_message = "Interface endpoints for ECR, STS, Secrets Manager and CloudWatch Logs are required."
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled])
    error_message = "Interface endpoints must use private DNS so SDKs pick them up."
  }

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway"
    error_message = "S3 must use the free gateway endpoint."
  }

  assert {
    condition     = aws_security_group_rule.endpoints_https.from_port == 443 && aws_security_group_rule.endpoints_https.cidr_blocks == tolist(["10.0.0.0/16"])
    error_message = "Endpoints must accept only HTTPS from inside the VPC."
  }
}

run "rejects_four_azs" {
  command = plan

  variables {
    az_count = 4
  }

  expect_failures = [var.az_count]
}

run "rejects_a_small_vpc" {
  command = plan

  variables {
    cidr_block = "10.0.0.0/24"
  }

  expect_failures = [var.cidr_block]
}

run "rejects_unknown_flow_log_traffic_type" {
  command = plan

  variables {
    flow_log_traffic_type = "SOME"
  }

  expect_failures = [var.flow_log_traffic_type]
}

run "roles_carry_the_permissions_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::111111111111:policy/conduit-staging-workload-boundary"
  }

  assert {
    condition     = aws_iam_role.flow_logs.permissions_boundary == var.permissions_boundary_arn
    error_message = "Every role of the module carries the workload boundary (the apply role may create no other role)."
  }
}
