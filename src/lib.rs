//! Conduit API.
