//! Business logic per area. Services take ports and plain values, never axum or Lambda types.

pub mod health;
