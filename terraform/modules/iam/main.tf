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
  permissions_boundary = aws_iam_policy.workload_boundary.arn

  tags = var.tags
}

# API: no inline policy. Its role and service account stay (the pod keeps an AWS identity), but it
# reads no secret itself: External Secrets mounts the database login and the app secrets.

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

# --- Permissions boundary ----------------------------------------------------------------------

# The ceiling of every role this composition creates (IRSA, EKS, RDS monitoring, flow logs, the
# GitHub release and plan roles): any service, but no IAM writes besides service-linked roles and
# nothing in Organizations or Account. The apply role may create or change a role only with this
# boundary attached, so a role it creates can never hold more than this, nor change IAM itself.
data "aws_iam_policy_document" "workload_boundary" {
  #checkov:skip=CKV_AWS_107: a permissions boundary grants nothing by itself; it caps the identity policies of the roles it is attached to
  #checkov:skip=CKV_AWS_108: as above: data access is granted (narrowly) by each role's own policy, the boundary only caps it
  #checkov:skip=CKV_AWS_109: as above: the boundary is a ceiling, resource scoping lives in each role's own policy
  #checkov:skip=CKV_AWS_110: as above: IAM writes are exactly what the boundary excludes
  #checkov:skip=CKV_AWS_111: as above: write scoping lives in each role's own policy
  #checkov:skip=CKV_AWS_356: as above: a ceiling over every service cannot name resources
  #checkov:skip=CKV2_AWS_40: as above: no full IAM privileges, iam:* is excluded
  statement {
    sid         = "AnyServiceButIam"
    not_actions = ["iam:*", "organizations:*", "account:*"]
    resources   = ["*"]
  }

  # The load balancer controller reads server certificates and creates the ELB service-linked role.
  statement {
    sid       = "ReadIamAndServiceLinkedRoles"
    actions   = ["iam:Get*", "iam:List*", "iam:CreateServiceLinkedRole"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "workload_boundary" {
  name        = local.boundary_name
  description = "Permissions boundary of every role in ${var.name}; the apply role cannot change it"
  policy      = data.aws_iam_policy_document.workload_boundary.json

  tags = var.tags
}

# --- GitHub Actions (OIDC, no long-lived keys) ------------------------------------------------

# GitHub's OIDC endpoint uses a CA trusted by IAM; provider 5.x accepts an empty thumbprint list.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]

  tags = merge(var.tags, { Name = "github-actions" })
}

locals {
  boundary_name  = "${var.name}-workload-boundary"
  boundary_arn   = "${local.iam_arn}:policy/${local.boundary_name}"
  apply_role_arn = "${local.iam_arn}:role/${var.name}-github-apply"

  # The backend key of envs/<env>/versions.tf; the S3-native lock object is "<key>.tflock".
  state_key        = "conduit/${var.environment}/terraform.tfstate"
  state_object_arn = "${local.state_bucket_arn}/${local.state_key}"
  lock_object_arn  = "${local.state_bucket_arn}/${local.state_key}.tflock"

  # job_workflow_ref is "<owner>/<repo>/<path>@<ref>" (GitHub, "OIDC token claims":
  # https://docs.github.com/en/actions/reference/security/oidc). AWS STS accepts it as the
  # condition key token.actions.githubusercontent.com:job_workflow_ref since February 2026
  # (https://aws.amazon.com/about-aws/whats-new/2026/01/aws-sts-supports-validation-identity-provider-claims/),
  # beside the default `sub` template, which must stay in force for the repository
  # (GET /repos/<owner>/<repo>/actions/oidc/customization/sub answers use_default = true).
  workflows        = "${local.repo}/.github/workflows"
  release_workflow = "${local.workflows}/release.yml"
  tf_workflow      = "${local.workflows}/terraform.yml"

  # Staging receives builds of main, production receives v* tags (release.yml checks that the
  # tagged commit is on main before it asks for the production environment).
  release_refs = coalesce(var.release_refs, var.environment == "production" ? ["refs/tags/v*"] : ["refs/heads/main"])

  # Who may assume each CI role: the `sub` claim (repository + environment, ref or event) and the
  # workflow file that runs the job. Pull requests reach only the staging plan role.
  github_trust = {
    release = {
      sub              = ["repo:${local.repo}:environment:${var.environment}"]
      job_workflow_ref = [for r in local.release_refs : "${local.release_workflow}@${r}"]
    }
    plan = {
      sub = concat(
        ["repo:${local.repo}:ref:refs/heads/main"],
        var.environment == "staging" ? ["repo:${local.repo}:pull_request"] : [],
      )
      job_workflow_ref = concat(
        ["${local.tf_workflow}@refs/heads/main"],
        var.environment == "staging" ? ["${local.tf_workflow}@refs/pull/*/merge"] : [],
      )
    }
    apply = {
      sub              = ["repo:${local.repo}:environment:${var.environment}"]
      job_workflow_ref = ["${local.tf_workflow}@refs/heads/main"]
    }
  }

  # Roles the apply role hands to AWS services (iam:PassRole), by name: the EKS cluster and node
  # roles, the EBS CSI add-on role, RDS enhanced monitoring, VPC flow logs, and modules/security's
  # CloudTrail-to-CloudWatch, AWS Config recorder and Chatbot roles.
  passable_role_arns = [for n in coalesce(var.passable_role_names, [
    "${var.name}-cluster",
    "${var.name}-node",
    "${var.name}-ebs-csi",
    "${var.name}-rds-monitoring",
    "${var.name}-vpc-flow-logs",
    "${var.name}-cloudtrail-logs",
    "${var.name}-config-recorder",
    "${var.name}-chatbot",
  ]) : "${local.iam_arn}:role/${n}"]

  # Every IAM action that changes what a role may do and accepts the iam:PermissionsBoundary
  # condition key (Service Authorization Reference, "Actions defined by AWS Identity and Access
  # Management": https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
  role_mutating_actions = [
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
  ]
}

data "aws_iam_policy_document" "github_assume" {
  for_each = local.github_trust

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
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = each.value.sub
    }

    condition {
      test     = "StringLike"
      variable = "${local.github_oidc_host}:job_workflow_ref"
      values   = each.value.job_workflow_ref
    }
  }

  lifecycle {
    precondition {
      condition     = local.github_oidc_provider_arn != null
      error_message = "Set github_oidc_provider_arn when create_github_oidc_provider is false."
    }
  }
}

# The apply role is the one role without the boundary (it creates the others); nothing it runs
# can change it, so changes to it are applied by an administrator.
resource "aws_iam_role" "github" {
  for_each = data.aws_iam_policy_document.github_assume

  name                 = "${var.name}-github-${each.key}"
  description          = "GitHub Actions ${each.key} role of ${local.repo}"
  assume_role_policy   = each.value.json
  max_session_duration = 3600
  permissions_boundary = each.key == "apply" ? null : aws_iam_policy.workload_boundary.arn

  tags = var.tags
}

# Release: push images to this environment's repositories only.
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

# The state key: decrypt to read the state, generate data keys to write (the lock object for plan,
# state and lock for apply). Without a key ARN the grant follows the bootstrap's alias.
data "aws_iam_policy_document" "github_state_key" {
  statement {
    sid       = "StateKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [coalesce(var.state_kms_key_arn, "arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*")]

    dynamic "condition" {
      for_each = var.state_kms_key_arn == null ? [1] : []

      content {
        test     = "ForAnyValue:StringEquals"
        variable = "kms:ResourceAliases"
        values   = ["alias/conduit-${var.environment}/tfstate"]
      }
    }
  }
}

# Plan: read the state (it is not a secret store, but it does hold the ElastiCache AUTH token: see
# docs/security.md), write and remove only the lock object, read no secret value but that token.
data "aws_iam_policy_document" "github_plan" {
  source_policy_documents = [data.aws_iam_policy_document.github_state_key.json]

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_bucket_arn}/conduit/${var.environment}/*"]
  }

  statement {
    sid       = "TakeAndReleaseTheLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [local.lock_object_arn]
  }

  # Planning opens the ephemeral aws_secretsmanager_random_password (a random string from the
  # service, no secret read); the call has no resource-level permissions.
  statement {
    sid       = "EphemeralRandomPassword"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"]
  }

  # The one exception: the ElastiCache AUTH token. module.elasticache reads it while planning,
  # and provider 5.100 has no write-only AUTH argument, so the token is in the state this role
  # reads anyway; reading the secret exposes nothing more (docs/security.md#trust-boundaries).
  dynamic "statement" {
    for_each = var.plan_readable_secret_arn == null ? [] : [var.plan_readable_secret_arn]
    content {
      sid       = "ReadTheRedisAuthTokenItIsInStateAnyway"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.plan_readable_secret_arn == null ? [] : [var.plan_readable_secret_arn]
    content {
      sid       = "DecryptOnlyThatSecret"
      actions   = ["kms:Decrypt"]
      resources = [var.secrets_kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:SecretARN"
        values   = [statement.value]
      }
    }
  }

  # Explicit, so no managed policy attached later can hand a pull request any other secret value
  # (the JWT key, the database credentials).
  statement {
    sid           = "NeverReadOtherSecretValues"
    effect        = "Deny"
    actions       = ["secretsmanager:GetSecretValue"]
    not_resources = var.plan_readable_secret_arn == null ? null : [var.plan_readable_secret_arn]
    resources     = var.plan_readable_secret_arn == null ? ["*"] : null
  }

  statement {
    sid       = "NeverBatchReadSecretValues"
    effect    = "Deny"
    actions   = ["secretsmanager:BatchGetSecretValue"]
    resources = ["*"]
  }

  # A missing encryption context never equals the ARN, so direct decrypts are denied too.
  statement {
    sid       = "NeverDecryptOtherSecrets"
    effect    = "Deny"
    actions   = ["kms:Decrypt"]
    resources = [var.secrets_kms_key_arn]

    condition {
      test     = "StringNotEquals"
      variable = "kms:EncryptionContext:SecretARN"
      values   = var.plan_readable_secret_arn == null ? ["none"] : [var.plan_readable_secret_arn]
    }
  }
}

# Apply: PowerUserAccess covers every service but IAM. In IAM it manages this environment's
# bounded roles and policies, passes only the listed roles, and cannot touch its own role, the
# boundary, or any role without the boundary.
data "aws_iam_policy_document" "github_apply" {
  #checkov:skip=CKV_AWS_356: iam:Get*/List* are read-only and needed to refresh every IAM resource in the state
  #checkov:skip=CKV_AWS_111: write actions carry resource ARNs; the unscoped statements are explicit denies
  #checkov:skip=CKV_AWS_109: as above: the unscoped permissions-management statements are denies
  source_policy_documents = [data.aws_iam_policy_document.github_state_key.json]

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_bucket_arn}/conduit/${var.environment}/*"]
  }

  statement {
    sid       = "WriteStateAndLock"
    actions   = ["s3:PutObject"]
    resources = [local.state_object_arn, local.lock_object_arn]
  }

  statement {
    sid       = "ReleaseTheLock"
    actions   = ["s3:DeleteObject"]
    resources = [local.lock_object_arn]
  }

  statement {
    sid       = "ReadIam"
    actions   = ["iam:Get*", "iam:List*"]
    resources = ["*"]
  }

  statement {
    sid       = "ChangeOnlyBoundedRoles"
    actions   = local.role_mutating_actions
    resources = ["${local.iam_arn}:role/${var.name}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  # Neither accepts iam:PermissionsBoundary; the role keeps its boundary through them.
  statement {
    sid = "RoleMetadata"
    actions = [
      "iam:DeleteRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
    ]
    resources = ["${local.iam_arn}:role/${var.name}-*"]
  }

  statement {
    sid = "EnvironmentPolicies"
    actions = [
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:TagPolicy",
      "iam:UntagPolicy",
    ]
    resources = ["${local.iam_arn}:policy/${var.name}-*"]
  }

  statement {
    sid = "OidcProviders"
    actions = [
      "iam:CreateOpenIDConnectProvider",
      "iam:DeleteOpenIDConnectProvider",
      "iam:UpdateOpenIDConnectProviderThumbprint",
      "iam:AddClientIDToOpenIDConnectProvider",
      "iam:RemoveClientIDFromOpenIDConnectProvider",
      "iam:TagOpenIDConnectProvider",
      "iam:UntagOpenIDConnectProvider",
    ]
    resources = ["${local.iam_arn}:oidc-provider/*"]
  }

  statement {
    sid       = "PassListedRoles"
    actions   = ["iam:PassRole"]
    resources = local.passable_role_arns

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["eks.amazonaws.com", "monitoring.rds.amazonaws.com", "vpc-flow-logs.amazonaws.com", "cloudtrail.amazonaws.com", "config.amazonaws.com", "chatbot.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.iam_arn}:role/aws-service-role/*"]
  }

  # The apply role cannot raise itself: nothing but reads on its own role or on the boundary.
  statement {
    sid         = "NotItselfNorTheBoundary"
    effect      = "Deny"
    not_actions = ["iam:Get*", "iam:List*"]
    resources   = [local.apply_role_arn, local.boundary_arn]
  }

  statement {
    sid       = "NeverRemoveBoundaries"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"]
    resources = ["*"]
  }

  # Also true when the role has no boundary at all (a missing key never equals the ARN).
  statement {
    sid       = "NoRoleWithoutTheBoundary"
    effect    = "Deny"
    actions   = local.role_mutating_actions
    resources = ["*"]

    condition {
      test     = "StringNotEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
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
