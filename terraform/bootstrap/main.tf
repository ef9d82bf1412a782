# The Terraform state bucket of one environment account: versioned, KMS-encrypted, private,
# TLS-only. The environments use it with `-backend-config="bucket=<state_bucket_name>"` and
# S3-native lock files (no DynamoDB table).

data "aws_caller_identity" "current" {}

locals {
  bucket = "conduit-${var.environment}-tfstate-${data.aws_caller_identity.current.account_id}"
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

data "aws_iam_policy_document" "state" {
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state.json

  depends_on = [aws_s3_bucket_public_access_block.state]
}
