# `terraform test -var show_json=... -var outputs_json=... -var lb_reference=... -var kustomize_dir=...`
# (run by the terraform suite after its emulator apply). The first run checks the applied
# composition; every later run gives one check a fixture derived from it that it must reject.

run "applied_staging" {
  command = plan
}

run "rejects_policy_without_listener_tags" {
  command = plan
  variables {
    lb_policy = jsonencode({
      Statement = [for s in jsondecode(file(var.lb_reference)).Statement : s
      if !anytrue([for r in flatten([s.Resource]) : strcontains(r, ":listener/")])]
    })
  }
  expect_failures = [output.lb_policy]
}

run "rejects_policy_without_set_rule_priorities" {
  command = plan
  variables {
    lb_policy = jsonencode({
      Statement = [for s in jsondecode(file(var.lb_reference)).Statement : merge(s, {
        Action = [for a in flatten([s.Action]) : a if a != "elasticloadbalancing:SetRulePriorities"]
      })]
    })
  }
  expect_failures = [output.lb_policy]
}

run "rejects_omission_without_reason" {
  command = plan
  variables {
    lb_controller_tf = "# omitted-upstream-action: shield:CreateProtection:\n"
  }
  expect_failures = [output.lb_omissions]
}

run "rejects_omission_granted_anyway" {
  command = plan
  variables {
    lb_controller_tf = "# omitted-upstream-action: elasticloadbalancing:SetRulePriorities: listed for the fixture\n"
  }
  expect_failures = [output.lb_omissions]
}

run "rejects_alb_group_without_port_80" {
  command = plan
  variables {
    alb_admitted = [[443, 443]]
  }
  expect_failures = [output.alb_ports]
}

run "rejects_unscoped_metric_filter" {
  command = plan
  variables {
    metric_patterns = { fixture = "{ $.status >= 500 }" }
  }
  expect_failures = [output.metric_filters]
}

run "rejects_metric_filter_on_unknown_container" {
  command = plan
  variables {
    metric_patterns = { fixture = "{ $.kubernetes.namespace_name = \"conduit\" && $.kubernetes.container_name = \"conduit-api\" }" }
  }
  expect_failures = [output.metric_filters]
}

run "rejects_missing_contract_output" {
  command = plan
  variables {
    outputs = jsonencode({ for k, v in run.applied_staging.outputs_read : k => v if k != "waf_acl_arn" })
  }
  expect_failures = [output.contract_outputs]
}

run "rejects_kubernetes_after_standard_support" {
  command = plan
  variables {
    today = "2027-03-27T00:00:00Z"
  }
  expect_failures = [output.eks_support]
}

run "rejects_wrong_vpc_cidr_in_cluster_vars" {
  command = plan
  variables {
    cluster_vars_yaml = { staging = replace(file("${var.kustomize_dir}/clusters/staging/cluster-vars.yaml"), "VPC_CIDR: 10.0.0.0/16", "VPC_CIDR: 10.10.0.0/16") }
  }
  expect_failures = [output.cluster_vars]
}

run "rejects_unmarked_placeholder_in_cluster_vars" {
  command = plan
  variables {
    cluster_vars_yaml = { staging = replace(file("${var.kustomize_dir}/clusters/staging/cluster-vars.yaml"), "/(VPC_ID: .*)  # placeholder/", "$1") }
  }
  expect_failures = [output.cluster_vars]
}

run "rejects_misshaped_placeholder_in_cluster_vars" {
  command = plan
  variables {
    cluster_vars_yaml = { staging = replace(file("${var.kustomize_dir}/clusters/staging/cluster-vars.yaml"), "/VPC_ID: .*/", "VPC_ID: sg-0123456789abcdef0  # placeholder") }
  }
  expect_failures = [output.cluster_vars]
}

run "rejects_environment_without_an_output_or_its_name" {
  command = plan
  variables {
    env_files = {
      "production/outputs.tf"  = replace(file("../envs/production/outputs.tf"), "output \"waf_acl_arn\"", "output \"waf_acl\"")
      "production/settings.tf" = replace(file("../envs/production/settings.tf"), "\"production\"", "\"staging\"")
    }
  }
  expect_failures = [output.environment_roots]
}
