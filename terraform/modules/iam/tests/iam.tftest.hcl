mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111111111111"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    }
  }

  mock_resource "aws_iam_policy" {
    defaults = {
      arn = "arn:aws:iam::111111111111:policy/conduit-staging-workload-boundary"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111111111111:role/conduit-staging-x"
    }
  }
}

variables {
  name                      = "conduit-staging"
  environment               = "staging"
  oidc_provider_arn         = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer               = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  app_secret_arns           = ["arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/jwt-secret-AbCdEf"]
  platform_secret_arns      = ["arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/grafana-admin-AbCdEf", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/uptime-kuma-admin-AbCdEf"]
  secrets_kms_key_arn       = "arn:aws:kms:eu-west-1:111111111111:key/secrets"
  fluent_bit_log_group_arns = ["arn:aws:logs:eu-west-1:111111111111:log-group:/aws/eks/conduit-staging/application"]
  ecr_repository_arns       = ["arn:aws:ecr:eu-west-1:111111111111:repository/api", "arn:aws:ecr:eu-west-1:111111111111:repository/web"]
  state_bucket_name         = "conduit-staging-tfstate"
}

run "irsa_roles_trust_exactly_their_service_account" {
  assert {
    condition = alltrue([
      for k, sa in {
        api                  = "system:serviceaccount:conduit:conduit-api"
        lb_controller        = "system:serviceaccount:kube-system:aws-load-balancer-controller"
        external_secrets     = "system:serviceaccount:external-secrets:external-secrets"
        fluent_bit           = "system:serviceaccount:logging:fluent-bit"
        ebs_csi              = "system:serviceaccount:kube-system:ebs-csi-controller-sa"
        grafana_cloudwatch   = "system:serviceaccount:monitoring:kube-prometheus-stack-grafana"
        flux_image_reflector = "system:serviceaccount:flux-system:image-reflector-controller"
        } : anytrue([
          for c in data.aws_iam_policy_document.irsa_assume[k].statement[0].condition :
          c.test == "StringEquals" && c.variable == "${var.oidc_issuer}:sub" && toset(c.values) == toset([sa])
      ])
    ])
    error_message = "Each IRSA role must trust only its own namespace/service account."
  }

  assert {
    condition = alltrue([
      for d in data.aws_iam_policy_document.irsa_assume : anytrue([
        for c in d.statement[0].condition : c.variable == "${var.oidc_issuer}:aud" && toset(c.values) == toset(["sts.amazonaws.com"])
      ])
    ])
    error_message = "IRSA trust must pin the STS audience."
  }
}

run "app_roles_are_least_privilege" {
  assert {
    condition     = !contains(keys(aws_iam_role_policy.irsa), "api") && contains(keys(aws_iam_role.irsa), "api")
    error_message = "The API's IRSA role stays but carries no inline policy: External Secrets reads its secrets."
  }

  assert {
    condition     = data.aws_iam_policy_document.external_secrets.statement[0].resources == toset(concat(var.app_secret_arns, var.platform_secret_arns))
    error_message = "External Secrets reads exactly the app secrets and every platform secret it is given."
  }

  assert {
    condition     = data.aws_iam_policy_document.fluent_bit.statement[0].resources == toset(["${var.fluent_bit_log_group_arns[0]}:*"]) && !contains(tolist(data.aws_iam_policy_document.fluent_bit.statement[0].actions), "logs:CreateLogGroup")
    error_message = "Fluent Bit writes only to its log groups and cannot create groups."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.ebs_csi.policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    error_message = "The EBS CSI role uses the AWS-managed driver policy."
  }
}

run "github_roles_trust_this_repository_only" {
  assert {
    condition = toset(flatten([
      for c in data.aws_iam_policy_document.github_assume["apply"].statement[0].condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"
    ])) == toset(["repo:conduit-platform/conduit:environment:staging"])
    error_message = "Apply is allowed only from the staging GitHub environment."
  }

  assert {
    condition = toset(flatten([
      for c in data.aws_iam_policy_document.github_assume["release"].statement[0].condition : tolist(c.values) if c.variable == "token.actions.githubusercontent.com:sub"
    ])) == toset(["repo:conduit-platform/conduit:environment:staging"])
    error_message = "Staging releases come from the staging GitHub environment only."
  }

  assert {
    condition = alltrue([
      for d in data.aws_iam_policy_document.github_assume : anytrue([
        for c in d.statement[0].condition : c.variable == "token.actions.githubusercontent.com:aud" && toset(c.values) == toset(["sts.amazonaws.com"])
      ])
    ])
    error_message = "GitHub trust must pin the STS audience."
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 1 && aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com"
    error_message = "The GitHub OIDC provider is created (no long-lived keys)."
  }
}

run "release_role_pushes_only_to_these_repositories" {
  assert {
    condition     = data.aws_iam_policy_document.github_release.statement[1].resources == toset(var.ecr_repository_arns) && contains(tolist(data.aws_iam_policy_document.github_release.statement[1].actions), "ecr:PutImage")
    error_message = "Push rights are limited to the platform repositories."
  }

  assert {
    condition     = data.aws_iam_policy_document.github_release.statement[0].actions == toset(["ecr:GetAuthorizationToken"])
    error_message = "The only unscoped action is the registry login."
  }

  assert {
    condition     = !contains(keys(local.github_managed_policies), "release")
    error_message = "The release role gets no managed policy."
  }
}

run "plan_role_is_read_only" {
  assert {
    condition     = aws_iam_role_policy_attachment.github["plan"].policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    error_message = "The plan role is read-only."
  }
}

run "reuses_an_existing_github_provider" {
  variables {
    create_github_oidc_provider = false
    github_oidc_provider_arn    = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && output.github_oidc_provider_arn == var.github_oidc_provider_arn
    error_message = "An existing provider is reused."
  }
}

run "rejects_wildcard_repositories" {
  command = plan

  variables {
    github_repository = "conduit-platform/*"
  }

  expect_failures = [var.github_repository]
}

run "rejects_any_ref" {
  command = plan

  variables {
    release_refs = ["refs/*"]
  }

  expect_failures = [var.release_refs]
}

run "every_role_but_apply_carries_the_boundary" {
  assert {
    condition = alltrue(concat(
      [for r in aws_iam_role.irsa : r.permissions_boundary == aws_iam_policy.workload_boundary.arn],
      [for k, r in aws_iam_role.github : r.permissions_boundary == aws_iam_policy.workload_boundary.arn if k != "apply"],
    ))
    error_message = "Every IRSA role and the release and plan roles carry the workload boundary."
  }

  assert {
    condition     = output.permissions_boundary_arn == aws_iam_policy.workload_boundary.arn && aws_iam_policy.workload_boundary.name == "conduit-staging-workload-boundary"
    error_message = "The boundary is exported for the composition's other roles."
  }
}
