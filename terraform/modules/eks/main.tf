data "aws_partition" "current" {}

locals {
  partition        = data.aws_partition.current.partition
  control_plane_lg = "/aws/eks/${var.cluster_name}/cluster"
  log_types        = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  # kubelet (10250) and the webhook/aggregated API ports of the platform's controllers:
  # 443 and 9443 (Load Balancer Controller, External Secrets), 4443 (metrics-server), 8443.
  node_ports_from_control_plane = [443, 4443, 8443, 9443, 10250]

  # Add-ons that must exist before nodes join (networking) and those that need nodes to schedule.
  addons_before_nodes = var.create_addons ? toset(["vpc-cni", "kube-proxy"]) : toset([])
  addons_after_nodes  = var.create_addons ? toset(["coredns", "aws-ebs-csi-driver"]) : toset([])

  # Add-on configuration values. The VPC CNI's network policy agent is what enforces the
  # Kubernetes NetworkPolicies of the workloads; without it they are accepted but ignored.
  addon_configuration = {
    vpc-cni = jsonencode({ enableNetworkPolicy = "true" })
  }
}

# --- Control plane ---------------------------------------------------------------------------

data "aws_iam_policy_document" "cluster_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name                 = "${var.cluster_name}-cluster"
  assume_role_policy   = data.aws_iam_policy_document.cluster_assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# The cluster role may use only the EKS secrets key, and only for envelope encryption.
data "aws_iam_policy_document" "cluster_kms" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    resources = [var.secrets_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "cluster_kms" {
  name   = "secrets-envelope-encryption"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_kms.json
}

resource "aws_cloudwatch_log_group" "cluster" {
  name              = local.control_plane_lg
  retention_in_days = var.cluster_log_retention_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

resource "aws_security_group" "cluster" {
  name        = "${var.cluster_name}-cluster"
  description = "EKS control plane ENIs: API from the nodes, kubelet and webhooks to the nodes"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.cluster_name}-cluster" })
}

resource "aws_security_group" "node" {
  name        = "${var.cluster_name}-node"
  description = "EKS managed nodes and their pods; data stores admit only this group"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, {
    Name                                        = "${var.cluster_name}-node"
    "kubernetes.io/cluster/${var.cluster_name}" = "owned"
  })
}

resource "aws_security_group_rule" "cluster_from_nodes" {
  type                     = "ingress"
  security_group_id        = aws_security_group.cluster.id
  description              = "Kubernetes API from the nodes"
  protocol                 = "tcp"
  from_port                = 443
  to_port                  = 443
  source_security_group_id = aws_security_group.node.id
}

resource "aws_security_group_rule" "cluster_to_nodes" {
  for_each = toset([for p in local.node_ports_from_control_plane : tostring(p)])

  type                     = "egress"
  security_group_id        = aws_security_group.cluster.id
  description              = "Control plane to the nodes on ${each.value}"
  protocol                 = "tcp"
  from_port                = tonumber(each.value)
  to_port                  = tonumber(each.value)
  source_security_group_id = aws_security_group.node.id
}

resource "aws_security_group_rule" "node_from_cluster" {
  for_each = toset([for p in local.node_ports_from_control_plane : tostring(p)])

  type                     = "ingress"
  security_group_id        = aws_security_group.node.id
  description              = "Control plane to the nodes on ${each.value}"
  protocol                 = "tcp"
  from_port                = tonumber(each.value)
  to_port                  = tonumber(each.value)
  source_security_group_id = aws_security_group.cluster.id
}

resource "aws_security_group_rule" "node_to_node" {
  type              = "ingress"
  security_group_id = aws_security_group.node.id
  description       = "Pod and node traffic inside the group (DNS, service mesh, metrics)"
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  self              = true
}

resource "aws_security_group_rule" "node_all" {
  #checkov:skip=CKV_AWS_382: nodes pull images and call AWS APIs through the NAT gateway and VPC endpoints; pods need arbitrary egress ports
  type              = "egress"
  security_group_id = aws_security_group.node.id
  description       = "Egress to the VPC endpoints, NAT gateway and data stores"
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_eks_cluster" "this" {
  name                          = var.cluster_name
  version                       = var.kubernetes_version
  role_arn                      = aws_iam_role.cluster.arn
  enabled_cluster_log_types     = local.log_types
  bootstrap_self_managed_addons = false

  vpc_config {
    subnet_ids              = var.subnet_ids
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    endpoint_public_access  = var.endpoint_public_access
    public_access_cidrs     = var.endpoint_public_access ? var.public_access_cidrs : null
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = var.secrets_kms_key_arn
    }
  }

  dynamic "access_config" {
    for_each = var.set_access_config_and_upgrade_policy ? [1] : []

    content {
      authentication_mode                         = "API"
      bootstrap_cluster_creator_admin_permissions = false
    }
  }

  dynamic "upgrade_policy" {
    for_each = var.set_access_config_and_upgrade_policy ? [1] : []

    content {
      support_type = "STANDARD"
    }
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_kms,
    aws_cloudwatch_log_group.cluster,
  ]

  lifecycle {
    precondition {
      condition     = !var.endpoint_public_access || length(var.public_access_cidrs) > 0
      error_message = "A public API endpoint needs an explicit public_access_cidrs allow-list."
    }
  }
}

# --- IRSA ------------------------------------------------------------------------------------

# EKS serves its OIDC keys from a certificate AWS trusts; provider 5.x no longer needs a thumbprint.
resource "aws_iam_openid_connect_provider" "this" {
  url            = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]

  tags = merge(var.tags, { Name = "${var.cluster_name}-irsa" })
}

# --- Access entries (API authentication mode) -------------------------------------------------

resource "aws_eks_access_entry" "admin" {
  for_each = var.create_access_entries ? toset(var.cluster_admin_arns) : toset([])

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value
  type          = "STANDARD"

  tags = var.tags
}

resource "aws_eks_access_policy_association" "admin" {
  for_each = aws_eks_access_entry.admin

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value.principal_arn
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

  access_scope {
    type = "cluster"
  }
}

# --- Managed node group ----------------------------------------------------------------------

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name                 = "${var.cluster_name}-node"
  assume_role_policy   = data.aws_iam_policy_document.node_assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

# The CNI policy stays on the node role because vpc-cni runs before IRSA is usable on a new node.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEKS_CNI_Policy",
  ])

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

resource "aws_launch_template" "node" {
  count = var.create_node_group ? 1 : 0

  name_prefix            = "${var.cluster_name}-node-"
  description            = "EKS managed nodes of ${var.cluster_name}: IMDSv2 only, encrypted root volume"
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.node.id]

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.node_disk_size_gib
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.cluster_name}-node" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = "${var.cluster_name}-node" })
  }

  tags = var.tags
}

resource "aws_eks_node_group" "default" {
  count = var.create_node_group ? 1 : 0

  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "default"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  ami_type        = "AL2023_x86_64_STANDARD"
  capacity_type   = var.node_capacity_type
  instance_types  = var.node_instance_types

  launch_template {
    id      = aws_launch_template.node[0].id
    version = aws_launch_template.node[0].latest_version
  }

  scaling_config {
    min_size     = var.node_min_size
    desired_size = var.node_desired_size
    max_size     = var.node_max_size
  }

  update_config {
    max_unavailable_percentage = 33
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy_attachment.node,
    aws_eks_addon.before_nodes,
  ]

  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }
}

# --- Add-ons -----------------------------------------------------------------------------------

resource "aws_eks_addon" "before_nodes" {
  for_each = local.addons_before_nodes

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.value
  addon_version               = lookup(var.addon_versions, each.value, null)
  configuration_values        = lookup(local.addon_configuration, each.value, null)
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags
}

resource "aws_eks_addon" "after_nodes" {
  for_each = local.addons_after_nodes

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.value
  addon_version               = lookup(var.addon_versions, each.value, null)
  service_account_role_arn    = each.value == "aws-ebs-csi-driver" ? var.ebs_csi_role_arn : null
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags

  depends_on = [aws_eks_node_group.default]
}
