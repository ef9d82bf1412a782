# Checks over the state bucket policy JSON, run by ../policy.tftest.hcl against the policy the
# bootstrap renders and against fixtures that must be rejected.

variable "bucket_policy" {
  description = "Bucket policy JSON of the state bucket."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of the state bucket."
  type        = string
}

variable "state_kms_key_arn" {
  description = "The state key every put must name."
  type        = string
}

locals {
  statements = [
    for s in jsondecode(var.bucket_policy).Statement : {
      effect     = s.Effect
      actions    = [for a in flatten([try(s.Action, [])]) : lower(a)]
      resources  = flatten([try(s.Resource, [])])
      principals = flatten([try(s.Principal.AWS, s.Principal, [])])
      conditions = merge([
        for op, kv in try(s.Condition, {}) : { for k, v in kv : "${op}|${lower(k)}" => flatten([v]) }
      ]...)
    }
  ]
  # A Deny that applies to everyone and to every object.
  universal_denies = [
    for s in local.statements : s
    if s.effect == "Deny" && contains(s.principals, "*") && contains(s.resources, "${var.bucket_arn}/*")
  ]

  denies_plain_http = anytrue([
    for s in local.universal_denies :
    (contains(s.actions, "s3:*")) && contains(s.resources, var.bucket_arn) &&
    jsonencode(try(s.conditions["Bool|aws:securetransport"], [])) == jsonencode(["false"])
  ])
  denies_non_kms_puts = anytrue([
    for s in local.universal_denies :
    (contains(s.actions, "s3:putobject") || contains(s.actions, "s3:*")) &&
    jsonencode(try(s.conditions["StringNotEquals|s3:x-amz-server-side-encryption"], [])) == jsonencode(["aws:kms"])
  ])
  denies_other_keys = anytrue([
    for s in local.universal_denies :
    (contains(s.actions, "s3:putobject") || contains(s.actions, "s3:*")) &&
    jsonencode(try(s.conditions["StringNotEquals|s3:x-amz-server-side-encryption-aws-kms-key-id"], [])) == jsonencode([var.state_kms_key_arn])
  ])
}

output "bucket_policy_enforces_tls_and_the_state_key" {
  description = "The bucket policy holds."
  value       = true

  precondition {
    condition     = local.denies_plain_http
    error_message = "The state bucket must deny every request without TLS."
  }

  precondition {
    condition     = local.denies_non_kms_puts
    error_message = "The state bucket must deny puts that are not SSE-KMS (StringNotEquals s3:x-amz-server-side-encryption aws:kms, IfExists would let a missing header through)."
  }

  precondition {
    condition     = local.denies_other_keys
    error_message = "The state bucket must deny puts under any key but the state key."
  }
}
