output "state_bucket_name" {
  description = "Bucket for `terraform init -backend-config=\"bucket=...\"` of the environment."
  value       = aws_s3_bucket.state.bucket
}

output "state_kms_key_arn" {
  description = "KMS key of the state objects (give it to the environment as state_kms_key_arn)."
  value       = aws_kms_key.state.arn
}
