# The Terraform state bucket of one environment account: versioned, KMS-encrypted, private,
# TLS-only. The environments use it with `-backend-config="bucket=<state_bucket_name>"`,
# `-backend-config="kms_key_id=<state_kms_key_arn>"` and S3-native lock files (no DynamoDB table).

data "aws_caller_identity" "current" {}

locals {
  bucket     = "conduit-${var.environment}-tfstate-${data.aws_caller_identity.current.account_id}"
  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${local.bucket}"
}

# Administration and use are delegated to IAM in this account (the plan/apply roles and the
# administrators get kms permissions on this key through their identity policies).
data "aws_iam_policy_document" "state_key" {
  #checkov:skip=CKV_AWS_109: a key policy's Resource "*" is the key itself; the account root delegates to IAM policies
  #checkov:skip=CKV_AWS_111: a key policy's Resource "*" is the key itself; the account root delegates to IAM policies
  #checkov:skip=CKV_AWS_356: key policies cannot name other resources; "*" here means only this key
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

data "aws_partition" "current" {}

resource "aws_kms_key" "state" {
  description             = "Terraform state of conduit-${var.environment}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.state_key.json
}

resource "aws_kms_alias" "state" {
  name          = "alias/conduit-${var.environment}/tfstate"
  target_key_id = aws_kms_key.state.key_id
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18: access logging needs a second bucket per account; CloudTrail data events are the audit trail for state reads
  #checkov:skip=CKV_AWS_144: cross-region replication doubles cost; versioning plus the 90-day noncurrent window covers state recovery
  #checkov:skip=CKV2_AWS_62: nothing consumes events of the state bucket; Terraform is the only writer
  bucket = local.bucket
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "old-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

# TLS only, and every object written with SSE-KMS under the state key. The S3 backend sends exactly
# these headers when it is configured with `kms_key_id` (ServerSideEncryption = aws:kms and
# SSEKMSKeyId, on the state object and on the lock object alike: hashicorp/terraform v1.11
# internal/backend/remote-state/s3/client.go). Without `kms_key_id`, `encrypt = true` sends
# AES256, which the bucket refuses instead of silently overriding its KMS default.
# (Written as JSON rather than a policy document data source so that the planned policy is known
# at plan time, where tests/policy.tftest.hcl checks it.)
locals {
  state_bucket_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      # A missing header does not equal "aws:kms" either, so puts relying on the default are refused.
      {
        Sid       = "OnlySseKms"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${local.bucket_arn}/*"
        Condition = { StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" } }
      },
      {
        Sid       = "OnlyTheStateKey"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${local.bucket_arn}/*"
        Condition = { StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = aws_kms_key.state.arn } }
      },
    ]
  })
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = local.state_bucket_policy

  depends_on = [aws_s3_bucket_public_access_block.state]
}
