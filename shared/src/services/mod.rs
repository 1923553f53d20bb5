//! Business logic per area. Services take ports and plain values, never axum or Lambda types.

pub mod accounts;
pub mod catalog;
pub mod health;
pub mod rate_limit;
pub mod uploads;
