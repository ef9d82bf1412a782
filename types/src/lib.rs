//! Shared request/response types.
