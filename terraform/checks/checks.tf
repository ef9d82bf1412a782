locals {
  show = jsondecode(file(var.show_json))
  # The composition nests at most three module levels (root, platform, its modules).
  modules = flatten([for m in [local.show.values.root_module] : concat([m], [
    for c in try(m.child_modules, []) : concat([c], try(c.child_modules, []))
  ])])
  resources  = flatten([for m in local.modules : try(m.resources, [])])
  by_address = { for r in local.resources : r.address => r.values }
}

# --- The Load Balancer Controller policy grants every (action, resource) of the upstream policy
# for the controller version we pin, on an overlapping resource pattern; intentional omissions
# are `# omitted-upstream-action: <service:Action>: <reason>` lines in modules/iam/lb_controller.tf.
locals {
  lb_policy = jsondecode(coalesce(var.lb_policy,
    local.by_address["module.platform.module.iam.aws_iam_role_policy.irsa[\"lb_controller\"]"].policy
  ))
  statements = { for name, doc in { ours = local.lb_policy, upstream = jsondecode(file(var.lb_reference)) } : name => [
    for s in flatten([doc.Statement]) : {
      allow     = s.Effect == "Allow"
      actions   = flatten([s.Action])
      resources = flatten([s.Resource])
    }
  ] }
  # IAM wildcards as anchored, case-insensitive regular expressions.
  patterns = distinct(flatten([for s in concat(local.statements.ours, local.statements.upstream) : concat(s.actions, s.resources)]))
  regex = { for p in local.patterns : p => format("(?i)^%s$", replace(replace(
    replace(p, "/[.+()\\[\\]{}^$|\\\\]/", "\\$${0}"), "*", ".*"), "?", "."))
  }
  lb_source      = coalesce(var.lb_controller_tf, file("${path.module}/../modules/iam/lb_controller.tf"))
  omission_lines = regexall("(?m)^\\s*# omitted-upstream-action:(.*)$", local.lb_source)
  omissions      = { for l in regexall("(?m)^\\s*# omitted-upstream-action: ([^:\\s]+:[^:\\s]+): (.{15,})$", local.lb_source) : lower(l[0]) => l[1] }
  grants         = { for kind in ["Allow", "Deny"] : kind => [for s in local.statements.ours : s if s.allow == (kind == "Allow")] }
  # For each upstream action, the resource lists of our Allow and Deny statements that grant it.
  granting = { for a in distinct(flatten([for u in local.statements.upstream : u.actions])) : a => {
    for kind, list in local.grants : kind => [for s in list : s.resources if anytrue([for p in s.actions : can(regex(local.regex[p], a))])]
  } }
  covers = { for kind in ["Allow", "Deny"] : kind => toset(flatten([
    for u in local.statements.upstream : [for a in u.actions : [for r in u.resources : "${a} on ${r}" if anytrue([
      for resources in local.granting[a][kind] : anytrue([for q in resources : can(regex(local.regex[q], r)) || can(regex(local.regex[r], q))])
    ])]] if u.allow
  ])) }
  lb_missing = [for u in local.statements.upstream : [for a in u.actions : [
    for r in u.resources : "${a} on ${r}"
    if !contains(keys(local.omissions), lower(a)) && !(contains(local.covers.Allow, "${a} on ${r}") && !contains(local.covers.Deny, "${a} on ${r}"))
  ]] if u.allow]
  upstream_actions = toset(flatten([for u in local.statements.upstream : [for a in u.actions : lower(a)]]))
  granted_omissions = [for a, _ in local.omissions : a if !contains(local.upstream_actions, a) || anytrue([
    for s in local.grants.Allow : anytrue([for p in s.actions : can(regex(local.regex[p], a))])
  ])]
}

output "lb_policy" {
  description = "Upstream (action, resource) grants the controller's policy covers."
  value       = length(flatten([for u in local.statements.upstream : [for a in u.actions : u.resources]]))
  precondition {
    condition     = length(flatten(local.lb_missing)) == 0
    error_message = "The Load Balancer Controller policy lacks upstream grants: ${join(", ", flatten(local.lb_missing))}"
  }
  precondition {
    condition     = length(jsonencode(local.lb_policy)) <= 10240
    error_message = "The policy is ${length(jsonencode(local.lb_policy))} characters; IAM refuses inline role policies over 10240."
  }
}

output "lb_omissions" {
  description = "Upstream actions intentionally not granted, with their reasons."
  value       = local.omissions
  precondition {
    condition     = length(local.omission_lines) == length(local.omissions) && length(local.granted_omissions) == 0
    error_message = "Each omission must read `<service:Action>: <reason of 15+ characters>`, name an upstream action and not be granted: ${jsonencode(local.omission_lines)}, ${jsonencode(local.granted_omissions)}"
  }
}

# --- The ALB security group admits every port the Ingresses that attach it listen on.
locals {
  ingress_docs = flatten([for f in fileset(var.kustomize_dir, "**/*.yaml") : [
    for d in split("\n---", file("${var.kustomize_dir}/${f}")) : try(yamldecode(d), null)
  ] if strcontains(file("${var.kustomize_dir}/${f}"), "listen-ports")])
  listen_ports = toset(flatten([for d in local.ingress_docs : [
    for l in jsondecode(d.metadata.annotations["alb.ingress.kubernetes.io/listen-ports"]) : values(l)
  ] if try(d.kind, "") == "Ingress" && strcontains(try(d.metadata.annotations["alb.ingress.kubernetes.io/security-groups"], ""), "$${ALB_SECURITY_GROUP_ID}")]))
  alb_group = try(local.by_address["module.platform.module.edge.aws_security_group.alb"].id, "")
  alb_admitted = coalesce(var.alb_admitted, [for r in local.resources : [r.values.from_port, r.values.to_port]
    if r.type == "aws_security_group_rule" && try(r.values.type == "ingress" && r.values.security_group_id == local.alb_group && contains(coalesce(r.values.cidr_blocks, []), "0.0.0.0/0"), false)
  ])
  closed_ports = [for p in local.listen_ports : p if !anytrue([for r in local.alb_admitted : r[0] <= p && p <= r[1]])]
}

output "alb_ports" {
  description = "Listener ports of the Ingresses that use the Terraform-made ALB group."
  value       = local.listen_ports
  precondition {
    condition     = length(local.listen_ports) > 0 && length(local.closed_ports) == 0
    error_message = "The Ingresses listen on ${jsonencode(local.closed_ports)}, which the ALB security group does not admit (admitted: ${jsonencode(local.alb_admitted)})."
  }
}

# --- Every CloudWatch metric filter selects a (namespace, container) of the app's Deployments: the
# application log group holds every pod's lines.
locals {
  apps = flatten([for k in fileset(var.kustomize_dir, "apps/*/base/kustomization.yaml") : [
    for f in fileset("${var.kustomize_dir}/${dirname(k)}", "*.yaml") : [
      for d in split("\n---", file("${var.kustomize_dir}/${dirname(k)}/${f}")) : [
        for c in try(yamldecode(d).spec.template.spec.containers, []) :
        "${try(yamldecode(file("${var.kustomize_dir}/${k}")).namespace, "")}/${c.name}"
      ] if try(yamldecode(d).kind, "") == "Deployment"
  ]]])
  metric_patterns = coalesce(var.metric_patterns, { for r in local.resources : r.address => r.values.pattern if r.type == "aws_cloudwatch_log_metric_filter" })
  unscoped = [for a, p in local.metric_patterns : "${a}: ${p}" if !contains(local.apps, join("/", flatten(regexall(
    "\\$\\.kubernetes\\.namespace_name = \"([^\"]*)\" && \\$\\.kubernetes\\.container_name = \"([^\"]*)\"", p
  ))))]
}

output "metric_filters" {
  description = "Metric filters, each selecting an app container of the manifests."
  value       = keys(local.metric_patterns)
  precondition {
    condition     = length(local.metric_patterns) > 0 && length(local.unscoped) == 0
    error_message = "Metric filters must select an app container (${join(", ", local.apps)}): ${join("; ", local.unscoped)}"
  }
}
