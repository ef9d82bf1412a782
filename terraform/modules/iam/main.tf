data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  iam_arn    = "arn:${local.partition}:iam::${local.account_id}"

  # Service accounts (namespace/name) that get an IRSA role; names are fixed by the platform.
  service_accounts = {
    api                  = { namespace = "conduit", name = "conduit-api" }
    lb_controller        = { namespace = "kube-system", name = "aws-load-balancer-controller" }
    external_secrets     = { namespace = "external-secrets", name = "external-secrets" }
    fluent_bit           = { namespace = "logging", name = "fluent-bit" }
    ebs_csi              = { namespace = "kube-system", name = "ebs-csi-controller-sa" }
    grafana_cloudwatch   = { namespace = "monitoring", name = "kube-prometheus-stack-grafana" }
    flux_image_reflector = { namespace = "flux-system", name = "image-reflector-controller" }
  }

  role_names = {
    api                  = "${var.name}-api"
    lb_controller        = "${var.name}-aws-lb-controller"
    external_secrets     = "${var.name}-external-secrets"
    fluent_bit           = "${var.name}-fluent-bit"
    ebs_csi              = "${var.name}-ebs-csi"
    grafana_cloudwatch   = "${var.name}-grafana-cloudwatch"
    flux_image_reflector = "${var.name}-flux-image-reflector"
  }

  github_oidc_host         = "token.actions.githubusercontent.com"
  github_oidc_provider_arn = var.create_github_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.github_oidc_provider_arn
  repo                     = var.github_repository
  state_bucket_arn         = "arn:${local.partition}:s3:::${var.state_bucket_name}"
}

# --- IRSA roles --------------------------------------------------------------------------------

data "aws_iam_policy_document" "irsa_assume" {
  for_each = local.service_accounts

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${each.value.namespace}:${each.value.name}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "irsa" {
  for_each = local.service_accounts

  name                 = local.role_names[each.key]
  description          = "IRSA role of ${each.value.namespace}/${each.value.name}"
  assume_role_policy   = data.aws_iam_policy_document.irsa_assume[each.key].json
  max_session_duration = 3600

  tags = var.tags
}

# API: read its own secrets, nothing else.
data "aws_iam_policy_document" "api" {
  statement {
    sid       = "ReadAppSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = var.app_secret_arns
  }

  statement {
    sid       = "DecryptThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [var.secrets_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

# External Secrets: the app secrets plus the operator-set platform secrets.
data "aws_iam_policy_document" "external_secrets" {
  statement {
    sid = "ReadConduitSecrets"
    actions = [
      "secretsmanager:GetSecretValue",
      "secretsmanager:DescribeSecret",
      "secretsmanager:ListSecretVersionIds",
      "secretsmanager:GetResourcePolicy",
    ]
    resources = concat(var.app_secret_arns, var.platform_secret_arns)
  }

  statement {
    sid       = "DecryptThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [var.secrets_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

# Fluent Bit: append to its own log groups; it may not create groups or read logs.
data "aws_iam_policy_document" "fluent_bit" {
  statement {
    sid       = "WriteOwnLogGroups"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [for arn in var.fluent_bit_log_group_arns : "${arn}:*"]
  }
}

# Grafana's CloudWatch data source: read metrics, alarms and log insights of this account.
data "aws_iam_policy_document" "grafana_cloudwatch" {
  statement {
    sid = "ReadMetrics"
    actions = [
      "cloudwatch:DescribeAlarmsForMetric",
      "cloudwatch:ListMetrics",
      "cloudwatch:GetMetricData",
      "ec2:DescribeTags",
      "ec2:DescribeInstances",
      "ec2:DescribeRegions",
      "tag:GetResources",
    ]
    resources = ["*"]
  }

  statement {
    sid = "ReadAlarms"
    actions = [
      "cloudwatch:DescribeAlarmHistory",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:GetInsightRuleReport",
    ]
    resources = [
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:insight-rule/*",
    ]
  }

  statement {
    sid = "QueryLogs"
    actions = [
      "logs:DescribeLogGroups",
      "logs:GetLogGroupFields",
      "logs:StartQuery",
      "logs:StopQuery",
      "logs:GetQueryResults",
      "logs:GetLogEvents",
    ]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
  }
}

# Flux image reflector: list tags of the platform's repositories.
data "aws_iam_policy_document" "flux_image_reflector" {
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "ListTags"
    actions   = ["ecr:DescribeImages", "ecr:ListImages", "ecr:DescribeRepositories", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = var.ecr_repository_arns
  }
}

locals {
  irsa_inline_policies = {
    api                  = data.aws_iam_policy_document.api.json
    external_secrets     = data.aws_iam_policy_document.external_secrets.json
    fluent_bit           = data.aws_iam_policy_document.fluent_bit.json
    grafana_cloudwatch   = data.aws_iam_policy_document.grafana_cloudwatch.json
    flux_image_reflector = data.aws_iam_policy_document.flux_image_reflector.json
    lb_controller        = data.aws_iam_policy_document.lb_controller.json
  }
}

resource "aws_iam_role_policy" "irsa" {
  for_each = local.irsa_inline_policies

  name   = "least-privilege"
  role   = aws_iam_role.irsa[each.key].id
  policy = each.value
}

resource "aws_iam_role_policy_attachment" "ebs_csi" {
  role       = aws_iam_role.irsa["ebs_csi"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}

# --- GitHub Actions (OIDC, no long-lived keys) ------------------------------------------------

# GitHub's OIDC endpoint uses a CA trusted by IAM; provider 5.x accepts an empty thumbprint list.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]

  tags = merge(var.tags, { Name = "github-actions" })
}

data "aws_iam_policy_document" "github_assume" {
  for_each = {
    release = [for r in var.release_refs : "repo:${local.repo}:ref:${r}"]
    plan    = ["repo:${local.repo}:pull_request", "repo:${local.repo}:ref:refs/heads/main"]
    apply   = ["repo:${local.repo}:environment:${var.environment}"]
  }

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "${local.github_oidc_host}:sub"
      values   = each.value
    }
  }

  lifecycle {
    precondition {
      condition     = local.github_oidc_provider_arn != null
      error_message = "Set github_oidc_provider_arn when create_github_oidc_provider is false."
    }
  }
}

resource "aws_iam_role" "github" {
  for_each = data.aws_iam_policy_document.github_assume

  name                 = "${var.name}-github-${each.key}"
  description          = "GitHub Actions ${each.key} role of ${local.repo}"
  assume_role_policy   = each.value.json
  max_session_duration = 3600

  tags = var.tags
}

# Release: push images to these repositories only.
data "aws_iam_policy_document" "github_release" {
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushPlatformImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = var.ecr_repository_arns
  }
}

# Plan and apply: the state objects and the native S3 lock file.
data "aws_iam_policy_document" "github_state" {
  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadWriteStateAndLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_bucket_arn}/conduit/${var.environment}/*"]
  }

  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]

    content {
      sid       = "StateKey"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

# Plan refreshes secret versions, which reads them.
data "aws_iam_policy_document" "github_plan" {
  source_policy_documents = [data.aws_iam_policy_document.github_state.json]

  statement {
    sid       = "RefreshSecretVersions"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:conduit/${var.environment}/*"]
  }

  statement {
    sid       = "DecryptSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.secrets_kms_key_arn]
  }
}

# Apply: PowerUserAccess covers every service but IAM; IAM is limited to this environment's names.
data "aws_iam_policy_document" "github_apply" {
  #checkov:skip=CKV_AWS_286: the deploy role must pass the roles it creates; PassRole is scoped to this environment's role names
  #checkov:skip=CKV_AWS_289: the deploy role manages this environment's roles and policies; resources are scoped to their name prefix
  #checkov:skip=CKV_AWS_290: as above, write access is limited to the environment's IAM name prefix and OIDC providers
  #checkov:skip=CKV_AWS_356: iam:Get*/List* are read-only and needed to refresh every IAM resource in the state
  source_policy_documents = [data.aws_iam_policy_document.github_state.json]

  statement {
    sid       = "ReadIam"
    actions   = ["iam:Get*", "iam:List*"]
    resources = ["*"]
  }

  statement {
    sid     = "ManageEnvironmentIam"
    actions = ["iam:*"]
    resources = [
      "${local.iam_arn}:role/${var.name}-*",
      "${local.iam_arn}:policy/${var.name}-*",
      "${local.iam_arn}:oidc-provider/*",
    ]
  }

  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.iam_arn}:role/aws-service-role/*"]
  }
}

locals {
  github_inline_policies = {
    release = data.aws_iam_policy_document.github_release.json
    plan    = data.aws_iam_policy_document.github_plan.json
    apply   = data.aws_iam_policy_document.github_apply.json
  }
  github_managed_policies = {
    plan  = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
    apply = "arn:${local.partition}:iam::aws:policy/PowerUserAccess"
  }
}

resource "aws_iam_role_policy" "github" {
  for_each = local.github_inline_policies

  name   = "ci-${each.key}"
  role   = aws_iam_role.github[each.key].id
  policy = each.value
}

resource "aws_iam_role_policy_attachment" "github" {
  for_each = local.github_managed_policies

  role       = aws_iam_role.github[each.key].name
  policy_arn = each.value
}
