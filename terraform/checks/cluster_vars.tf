# --- The committed cluster-vars (kustomize/clusters/<env>/cluster-vars.yaml, what Flux
# substitutes) agree with the platform's `cluster_vars` output: production is the same module, so
# it is compared with the staging outputs with the environment name swapped. A value Terraform
# knows must be committed as is, or, marked `# placeholder` (account-specific), have the same
# shape once generated parts (IDs, account numbers, suffixes) are masked; a value it does not know
# must be marked. `cargo xtask cluster-vars` writes the real values.

variable "cluster_vars_yaml" {
  description = "Text of the committed cluster-vars by environment; null reads kustomize/clusters/<env>/cluster-vars.yaml."
  type        = map(string)
  default     = null
}

locals {
  # Keys no Terraform output provides: the on-call address and the SES sender and endpoint are
  # operator decisions; Prometheus sizing is set per environment in Git.
  operator_keys = ["ALERT_EMAIL_TO", "ALERT_EMAIL_FROM", "SMTP_SMARTHOST", "PROMETHEUS_RETENTION", "PROMETHEUS_STORAGE", "PROMETHEUS_RETENTION_SIZE"]
  cluster_vars_text = coalesce(var.cluster_vars_yaml, { for env in ["staging", "production"] :
  env => file("${var.kustomize_dir}/clusters/${env}/cluster-vars.yaml") })
  committed = { for env, text in local.cluster_vars_text : env => {
    data         = yamldecode(text).data
    placeholders = flatten(regexall("(?m)^  ([A-Z0-9_]+):.*# placeholder", text))
  } }
  known = { for env in keys(local.committed) : env => {
    for k, v in local.outputs.cluster_vars : k => v == null || v == "" ? null : replace(v, "staging", env)
  } }
  # Runs of letters and digits that contain a digit, are hexadecimal of 4+, mix cases or are 10+
  # long become `#`, and so does the random 6-character suffix Secrets Manager puts on a secret's
  # ARN (it may come out all lower case).
  shape = { for v in distinct(flatten([for env, c in local.committed : concat(values(c.data), [for k, v in local.known[env] : v if v != null])])) :
    v => join("", [for t in regexall("[[:alnum:]]+|[^[:alnum:]]", strcontains(v, ":secret:") ? replace(v, "/-[[:alnum:]]{6}$/", "-Xx") : v) : can(regex("^[[:alnum:]]+$", t)) && (
  can(regex("[0-9]", t)) || can(regex("^[[:xdigit:]]{4,}$", t)) || (can(regex("[A-Z]", t)) && can(regex("[a-z]", t))) || length(t) >= 10) ? "#" : t]) }
  # What is wrong with each Terraform-known key of each file ("" when nothing is). `&&` does not
  # short-circuit in HCL, so the cases are nested conditionals.
  verdicts = { for env, c in local.committed : env => { for k, real in local.known[env] : k => (
    !contains(keys(c.data), k) ? "missing (terraform output cluster_vars has it)"
    : real == null ? (contains(c.placeholders, k) ? "" : "not known to Terraform here, so it must be marked `# placeholder`")
    : !contains(c.placeholders, k) ? (c.data[k] == real ? "" : "committed `${c.data[k]}`, Terraform says `${real}`")
    : contains(["APP_HOST", "STATUS_HOST"], k) ? (can(regex("^[[:alnum:]][[:alnum:]-]*([.][[:alnum:]][[:alnum:]-]*)+$", c.data[k])) ? "" : "placeholder `${c.data[k]}` is not a host name")
    : local.shape[c.data[k]] == local.shape[real] ? "" : "placeholder `${c.data[k]}` does not have the shape of `${real}` (${local.shape[c.data[k]]} vs ${local.shape[real]})"
  ) } }
  cluster_vars_problems = flatten([for env, c in local.committed : concat(
    [for k, _ in c.data : "${env}: ${k} is neither a cluster_vars output nor an operator key" if !contains(keys(local.known[env]), k) && !contains(local.operator_keys, k)],
    [for k, problem in local.verdicts[env] : "${env}: ${k}: ${problem}" if problem != ""],
    try(c.data.STATUS_HOST == "status.${c.data.APP_HOST}", true) ? [] : ["${env}: STATUS_HOST must be status.<APP_HOST> (the certificate covers only that)"],
  )])
}

output "cluster_vars" {
  description = "Keys of the committed cluster-vars compared with Terraform's cluster_vars output."
  value       = length(local.outputs.cluster_vars)
  precondition {
    condition     = length(local.cluster_vars_problems) == 0
    error_message = "cluster-vars disagree with Terraform (regenerate with cargo xtask cluster-vars, or mark an account-specific value `# placeholder`): ${join("; ", local.cluster_vars_problems)}"
  }
}
