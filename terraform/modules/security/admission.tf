# The cluster's admission controller (sigstore policy-controller, kustomize/infrastructure/admission)
# reads image manifests, cosign signatures and attestations from ECR. EKS nodes allow one IMDS hop,
# so it gets its own IRSA role: read-only, on the platform's repositories only.

locals {
  # Decided by create_admission_role when given: the OIDC inputs of a cluster created in the same
  # apply are unknown at plan time, and count must be known then.
  admission_role = var.create_admission_role != null ? var.create_admission_role : (var.eks_oidc_provider_arn != null && var.eks_oidc_issuer != null)
}

data "aws_iam_policy_document" "admission_assume" {
  count = local.admission_role ? 1 : 0

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.eks_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.eks_oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.admission_service_account.namespace}:${var.admission_service_account.name}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.eks_oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "admission" {
  count = local.admission_role ? 1 : 0

  name                 = "${var.name}-admission-controller"
  description          = "IRSA role of ${var.admission_service_account.namespace}/${var.admission_service_account.name}: ECR read for signature verification"
  assume_role_policy   = data.aws_iam_policy_document.admission_assume[0].json
  permissions_boundary = var.permissions_boundary_arn
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "admission" {
  count = local.admission_role ? 1 : 0

  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadImagesSignaturesAttestations"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:ListImages"]
    resources = var.ecr_repository_arns
  }
}

resource "aws_iam_role_policy" "admission" {
  count = local.admission_role ? 1 : 0

  name   = "ecr-read"
  role   = aws_iam_role.admission[0].id
  policy = data.aws_iam_policy_document.admission[0].json

  lifecycle {
    precondition {
      condition     = length(var.ecr_repository_arns) > 0
      error_message = "The admission controller role needs the ECR repository ARNs it verifies images of."
    }
  }
}
