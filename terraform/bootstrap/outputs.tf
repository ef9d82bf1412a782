output "state_bucket_name" {
  description = "Bucket for `terraform init -backend-config=\"bucket=...\"` of the environment."
  value       = aws_s3_bucket.state.bucket
}

output "state_kms_key_arn" {
  description = "KMS key of the state objects: `-backend-config=\"kms_key_id=...\"` of the environment, its state_kms_key_arn and the GitHub variable TF_STATE_KMS_KEY_ARN."
  value       = aws_kms_key.state.arn
}

output "state_bucket_policy" {
  description = "The bucket policy JSON (TLS only, SSE-KMS with the state key only), for review and the policy tests."
  value       = local.state_bucket_policy
}
