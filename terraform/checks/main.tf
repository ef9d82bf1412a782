# Cross-layer checks on the applied staging composition, run by `terraform test` after the
# terraform suite's emulator apply (`terraform show -json` and `terraform output -json` of that
# run are the inputs). No provider, no resources: every check is an output precondition, and
# tests/checks.tftest.hcl feeds each one a fixture it must reject (`expect_failures`).

variable "show_json" {
  description = "Path of `terraform show -json` of the applied staging composition."
  type        = string
}

variable "outputs_json" {
  description = "Path of `terraform output -json` of the applied staging composition."
  type        = string
}

variable "lb_reference" {
  description = "Path of the upstream Load Balancer Controller IAM policy (pinned input alb-controller-iam-policy)."
  type        = string
}

variable "kustomize_dir" {
  description = "Path of kustomize/ in the checkout (Ingresses and app Deployments)."
  type        = string
}

# Overrides of facts read from the files above; null in a real run, set by the fixtures.
variable "lb_policy" {
  description = "The controller's policy document (JSON); null reads it from the applied state."
  type        = string
  default     = null
}

variable "lb_controller_tf" {
  description = "Text of modules/iam/lb_controller.tf (its omission lines); null reads the file."
  type        = string
  default     = null
}

variable "alb_admitted" {
  description = "[from, to] port ranges the ALB group admits from 0.0.0.0/0; null reads the state."
  type        = list(list(number))
  default     = null
}

variable "metric_patterns" {
  description = "Metric filter patterns by address; null reads the state."
  type        = map(string)
  default     = null
}

variable "outputs" {
  description = "The environment's outputs (JSON, name => value); null reads outputs_json."
  type        = string
  default     = null
}

variable "today" {
  description = "RFC 3339 time the EKS support window is judged at; null is the plan time."
  type        = string
  default     = null
}
