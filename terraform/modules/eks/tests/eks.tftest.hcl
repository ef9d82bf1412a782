mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111111111111:role/conduit-test-cluster"
    }
  }

  mock_resource "aws_eks_cluster" {
    defaults = {
      arn = "arn:aws:eks:eu-west-1:111111111111:cluster/conduit-test"
      identity = [{
        oidc = [{ issuer = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" }]
      }]
    }
  }

  mock_resource "aws_eks_access_entry" {
    defaults = {
      principal_arn = "arn:aws:iam::111111111111:role/admin"
    }
  }

  mock_resource "aws_launch_template" {
    defaults = {
      id             = "lt-0123456789abcdef0"
      latest_version = 1
    }
  }
}

variables {
  cluster_name        = "conduit-test"
  vpc_id              = "vpc-0123456789abcdef0"
  subnet_ids          = ["subnet-a", "subnet-b", "subnet-c"]
  secrets_kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/eks"
  logs_kms_key_arn    = "arn:aws:kms:eu-west-1:111111111111:key/logs"
  ebs_csi_role_arn    = "arn:aws:iam::111111111111:role/conduit-test-ebs-csi"
  cluster_admin_arns  = ["arn:aws:iam::111111111111:role/admin"]
}

run "control_plane_is_private_and_encrypted" {
  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access && !aws_eks_cluster.this.vpc_config[0].endpoint_public_access
    error_message = "The API endpoint must be private by default."
  }

  assert {
    condition     = aws_eks_cluster.this.version == "1.35"
    error_message = "Kubernetes 1.35 is the default."
  }

  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].provider[0].key_arn == var.secrets_kms_key_arn && contains(aws_eks_cluster.this.encryption_config[0].resources, "secrets")
    error_message = "Kubernetes secrets must be envelope-encrypted with the EKS key."
  }

  assert {
    condition     = toset(aws_eks_cluster.this.enabled_cluster_log_types) == toset(["api", "audit", "authenticator", "controllerManager", "scheduler"])
    error_message = "All control-plane log types must be enabled."
  }

  assert {
    condition     = aws_cloudwatch_log_group.cluster.name == "/aws/eks/conduit-test/cluster" && aws_cloudwatch_log_group.cluster.retention_in_days >= 365 && aws_cloudwatch_log_group.cluster.kms_key_id == var.logs_kms_key_arn
    error_message = "Control-plane logs need an encrypted group with a retention."
  }

  assert {
    condition     = aws_eks_cluster.this.access_config[0].authentication_mode == "API" && !aws_eks_cluster.this.access_config[0].bootstrap_cluster_creator_admin_permissions
    error_message = "Access entries only (API mode), no implicit creator admin, no aws-auth ConfigMap."
  }

  assert {
    condition     = aws_eks_cluster.this.upgrade_policy[0].support_type == "STANDARD"
    error_message = "Standard support only (no extended-support charges)."
  }
}

run "nodes_require_imdsv2_and_encrypted_disks" {
  assert {
    condition     = aws_launch_template.node[0].metadata_options[0].http_tokens == "required" && aws_launch_template.node[0].metadata_options[0].http_put_response_hop_limit == 1
    error_message = "Nodes must require IMDSv2 with a hop limit of 1 (pods cannot reach the node role)."
  }

  assert {
    condition     = aws_launch_template.node[0].block_device_mappings[0].ebs[0].encrypted == "true"
    error_message = "Node root volumes must be encrypted."
  }

  assert {
    condition     = toset(aws_eks_node_group.default[0].subnet_ids) == toset(var.subnet_ids)
    error_message = "The node group must span every private subnet."
  }

  assert {
    condition     = aws_eks_node_group.default[0].launch_template[0].id == aws_launch_template.node[0].id
    error_message = "The node group must use the hardened launch template."
  }
}

run "irsa_addons_and_access_entries" {
  assert {
    condition     = aws_iam_openid_connect_provider.this.client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The IRSA provider must accept only the STS audience."
  }

  assert {
    condition     = toset(concat(keys(aws_eks_addon.before_nodes), keys(aws_eks_addon.after_nodes))) == toset(["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"])
    error_message = "vpc-cni, kube-proxy, coredns and the EBS CSI driver are managed add-ons."
  }

  assert {
    condition     = aws_eks_addon.after_nodes["aws-ebs-csi-driver"].service_account_role_arn == var.ebs_csi_role_arn
    error_message = "The EBS CSI driver must use its IRSA role."
  }

  assert {
    condition     = try(jsondecode(aws_eks_addon.before_nodes["vpc-cni"].configuration_values).enableNetworkPolicy, null) == "true"
    error_message = "The VPC CNI must run its network policy agent (enableNetworkPolicy = \"true\"), or NetworkPolicies are not enforced."
  }

  assert {
    condition     = length(aws_eks_access_entry.admin) == 1 && aws_eks_access_policy_association.admin["arn:aws:iam::111111111111:role/admin"].access_scope[0].type == "cluster"
    error_message = "Cluster admins are granted through access entries."
  }
}

run "security_groups_are_least_privilege" {
  assert {
    condition     = aws_security_group_rule.cluster_from_nodes.from_port == 443 && aws_security_group_rule.cluster_from_nodes.source_security_group_id == aws_security_group.node.id
    error_message = "The API accepts 443 from the nodes only."
  }

  assert {
    condition     = alltrue([for r in aws_security_group_rule.node_from_cluster : r.source_security_group_id == aws_security_group.cluster.id && r.cidr_blocks == null])
    error_message = "Nodes accept control-plane traffic from the cluster group only."
  }

  assert {
    condition     = contains(keys(aws_security_group_rule.node_from_cluster), "10250")
    error_message = "The control plane must reach the kubelet."
  }
}

run "emulator_switches_remove_only_their_resources" {
  variables {
    create_addons         = false
    create_access_entries = false
  }

  assert {
    condition     = length(aws_eks_addon.before_nodes) + length(aws_eks_addon.after_nodes) + length(aws_eks_access_entry.admin) == 0
    error_message = "The switches must remove add-ons and access entries."
  }

  assert {
    condition     = length(aws_eks_node_group.default) == 1 && length(aws_eks_cluster.this.access_config) == 1
    error_message = "The node group and the access configuration stay."
  }
}

run "node_group_switch_removes_its_launch_template" {
  command = plan

  variables {
    create_node_group                    = false
    set_access_config_and_upgrade_policy = false
  }

  assert {
    condition     = length(aws_eks_node_group.default) == 0 && length(aws_launch_template.node) == 0 && length(aws_eks_cluster.this.access_config) == 0
    error_message = "The emulator switches remove the node group, its launch template and the access configuration."
  }
}

run "public_endpoint_needs_an_allow_list" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = []
  }

  expect_failures = [aws_eks_cluster.this]
}

run "public_endpoint_with_allow_list" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["203.0.113.0/24"]
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.0/24"])
    error_message = "The public endpoint must be limited to the allow-list."
  }
}

run "rejects_an_open_public_endpoint" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["0.0.0.0/0"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_a_malformed_version" {
  command = plan

  variables {
    kubernetes_version = "latest"
  }

  expect_failures = [var.kubernetes_version]
}

run "roles_carry_the_permissions_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::111111111111:policy/conduit-staging-workload-boundary"
  }

  assert {
    condition     = aws_iam_role.cluster.permissions_boundary == var.permissions_boundary_arn && aws_iam_role.node.permissions_boundary == var.permissions_boundary_arn
    error_message = "Every role of the module carries the workload boundary (the apply role may create no other role)."
  }
}
