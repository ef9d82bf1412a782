# Checks over the JSON of the CI roles' policies, run by ../guards.tftest.hcl against the JSON the
# iam module renders and against fixtures that reintroduce each flaw (those runs must fail).
# Every input is optional; an output's precondition checks its input when given.

variable "plan_policy" {
  description = "Inline policy JSON of the plan role."
  type        = string
  default     = null
}

variable "apply_policy" {
  description = "Inline policy JSON of the apply role."
  type        = string
  default     = null
}

variable "trust_policy" {
  description = "Trust policy JSON of a CI role."
  type        = string
  default     = null
}

variable "expected_sub" {
  description = "The only `sub` values the trust policy may accept."
  type        = list(string)
  default     = []
}

variable "expected_job_workflow_ref" {
  description = "The only job_workflow_ref patterns the trust policy may accept."
  type        = list(string)
  default     = []
}

variable "boundary_arn" {
  description = "The permissions boundary the apply role must require."
  type        = string
  default     = "arn:aws:iam::111111111111:policy/conduit-staging-workload-boundary"
}

variable "apply_role_arn" {
  description = "The apply role's own ARN."
  type        = string
  default     = "arn:aws:iam::111111111111:role/conduit-staging-github-apply"
}

variable "lock_object_arn" {
  description = "The S3-native lock object, the only object the plan role may write."
  type        = string
  default     = "arn:aws:s3:::conduit-staging-tfstate/conduit/staging/terraform.tfstate.tflock"
}

variable "secrets_kms_key_arn" {
  description = "KMS key of the secrets."
  type        = string
  default     = "arn:aws:kms:eu-west-1:111111111111:key/secrets"
}

variable "plan_readable_secret_arn" {
  description = "The one secret the plan role may read (conduit/<env>/redis-auth: its token is in the state anyway)."
  type        = string
  default     = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:conduit/staging/redis-auth-AbCdEf"
}

locals {
  # Statements normalised: lower-case action patterns, lists everywhere, conditions as
  # "<operator>|<key>" => values.
  statements = {
    for name, doc in { plan = var.plan_policy, apply = var.apply_policy, trust = var.trust_policy } :
    name => doc == null ? [] : [
      for s in jsondecode(doc).Statement : {
        effect        = s.Effect
        actions       = [for a in flatten([try(s.Action, [])]) : lower(a)]
        not_actions   = [for a in flatten([try(s.NotAction, [])]) : lower(a)]
        resources     = flatten([try(s.Resource, [])])
        not_resources = flatten([try(s.NotResource, [])])
        conditions = merge([
          for op, kv in try(s.Condition, {}) : { for k, v in kv : "${op}|${k}" => flatten([v]) }
        ]...)
      }
    ]
  }

  # Whether an IAM action pattern (with * and ?) covers an action.
  # grants[doc][i][action] is true when statement i allows `action` by Action or NotAction.
  probe_actions = [
    "secretsmanager:getsecretvalue",
    "secretsmanager:batchgetsecretvalue",
    "kms:decrypt",
    "s3:putobject",
    "s3:deleteobject",
    "iam:createrole",
    "iam:putrolepermissionsboundary",
    "iam:attachrolepolicy",
    "iam:detachrolepolicy",
    "iam:putrolepolicy",
    "iam:deleterolepolicy",
    "iam:deleterolepermissionsboundary",
    "iam:passrole",
    "iam:updateassumerolepolicy",
    "iam:createpolicyversion",
  ]
  covers = {
    for name, list in local.statements : name => [
      for s in list : {
        for a in local.probe_actions : a => (
          length(s.actions) > 0
          ? anytrue([for p in s.actions : can(regex("^${replace(replace(replace(p, ".", "\\."), "*", ".*"), "?", ".")}$", a))])
          : !anytrue([for p in s.not_actions : can(regex("^${replace(replace(replace(p, ".", "\\."), "*", ".*"), "?", ".")}$", a))])
        )
      }
    ]
  }

  # The only secret read allowed: GetSecretValue on exactly the Redis AUTH secret, and kms:Decrypt
  # with the secrets key only through Secrets Manager for that secret's encryption context.
  plan_allows_secret_read = anytrue([
    for i, s in local.statements.plan : s.effect == "Allow" && (
      local.covers.plan[i]["secretsmanager:batchgetsecretvalue"] ||
      (local.covers.plan[i]["secretsmanager:getsecretvalue"] && jsonencode(s.resources) != jsonencode([var.plan_readable_secret_arn])) ||
      (local.covers.plan[i]["kms:decrypt"] && anytrue([for r in s.resources : r == "*" || r == var.secrets_kms_key_arn]) &&
      jsonencode(try(s.conditions["StringEquals|kms:EncryptionContext:SecretARN"], [])) != jsonencode([var.plan_readable_secret_arn]))
    )
  ])
  # GetSecretValue is denied explicitly on everything (Resource "*") or everything but that secret.
  plan_denies_secret_read = anytrue([
    for i, s in local.statements.plan : s.effect == "Deny" && local.covers.plan[i]["secretsmanager:getsecretvalue"] && (
      contains(s.resources, "*") || (length(s.resources) == 0 && jsonencode(s.not_resources) == jsonencode([var.plan_readable_secret_arn]))
    )
  ])
  plan_writes_beyond_lock = anytrue([
    for i, s in local.statements.plan : s.effect == "Allow" && (local.covers.plan[i]["s3:putobject"] || local.covers.plan[i]["s3:deleteobject"]) && jsonencode(s.resources) != jsonencode([var.lock_object_arn])
  ])

  role_mutations = [
    "iam:createrole",
    "iam:putrolepermissionsboundary",
    "iam:attachrolepolicy",
    "iam:detachrolepolicy",
    "iam:putrolepolicy",
    "iam:deleterolepolicy",
  ]
  # Every Allow that covers a role-mutating action requires exactly the boundary.
  apply_unbounded_mutations = flatten([
    for i, s in local.statements.apply : [
      for a in local.role_mutations : a
      if s.effect == "Allow" && local.covers.apply[i][a] && jsonencode(try(s.conditions["StringEquals|iam:PermissionsBoundary"], [])) != jsonencode([var.boundary_arn])
    ]
  ])
  apply_denies_self = anytrue([
    for i, s in local.statements.apply : s.effect == "Deny" && contains(s.resources, var.apply_role_arn) && contains(s.resources, var.boundary_arn) &&
    local.covers.apply[i]["iam:attachrolepolicy"] && local.covers.apply[i]["iam:putrolepolicy"] &&
    local.covers.apply[i]["iam:updateassumerolepolicy"] && local.covers.apply[i]["iam:createpolicyversion"]
  ])
  apply_denies_boundary_removal = anytrue([
    for i, s in local.statements.apply : s.effect == "Deny" && local.covers.apply[i]["iam:deleterolepermissionsboundary"] && contains(s.resources, "*")
  ])
  apply_passes_wildcards = anytrue([
    for i, s in local.statements.apply : s.effect == "Allow" && local.covers.apply[i]["iam:passrole"] && anytrue([for r in s.resources : strcontains(r, "*")])
  ])

  trust_conditions = [for s in local.statements.trust : s.conditions if s.effect == "Allow"]
}

output "plan_reads_no_secret_and_writes_only_the_lock" {
  description = "The plan role's policy holds."
  value       = var.plan_policy != null

  precondition {
    condition     = var.plan_policy == null || (!local.plan_allows_secret_read && local.plan_denies_secret_read)
    error_message = "The plan role must read no secret value (GetSecretValue, or kms:Decrypt with the secrets key) but the Redis AUTH secret, and must deny GetSecretValue explicitly on every other secret."
  }

  precondition {
    condition     = var.plan_policy == null || !local.plan_writes_beyond_lock
    error_message = "The plan role may write and delete only the lock object."
  }
}

output "apply_cannot_raise_itself" {
  description = "The apply role's policy holds."
  value       = var.apply_policy != null

  precondition {
    condition     = var.apply_policy == null || length(local.apply_unbounded_mutations) == 0
    error_message = "Every role-mutating action the apply role is allowed must require the permissions boundary; unbounded: ${join(", ", local.apply_unbounded_mutations)}."
  }

  precondition {
    condition     = var.apply_policy == null || (local.apply_denies_self && local.apply_denies_boundary_removal)
    error_message = "The apply role must deny changes to its own role and the boundary, and deny removing boundaries."
  }

  precondition {
    condition     = var.apply_policy == null || !local.apply_passes_wildcards
    error_message = "The apply role may pass only an explicit list of roles."
  }
}

output "trust_is_exact" {
  description = "The trust policy accepts exactly the expected sub and job_workflow_ref values."
  value       = var.trust_policy != null

  precondition {
    condition = var.trust_policy == null || (length(local.trust_conditions) > 0 && alltrue([
      for c in local.trust_conditions :
      jsonencode(try(c["StringEquals|token.actions.githubusercontent.com:aud"], [])) == jsonencode(["sts.amazonaws.com"]) &&
      toset(try(c["StringEquals|token.actions.githubusercontent.com:sub"], [])) == toset(var.expected_sub) &&
      toset(try(c["StringLike|token.actions.githubusercontent.com:job_workflow_ref"], [])) == toset(var.expected_job_workflow_ref) &&
      length(keys(c)) == 3
    ]))
    error_message = "The trust policy must pin the audience, exactly ${jsonencode(var.expected_sub)} as sub and ${jsonencode(var.expected_job_workflow_ref)} as job_workflow_ref, and nothing looser."
  }
}
