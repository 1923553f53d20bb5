//! Business logic per area. Services take ports and plain values, never axum or Lambda types.

pub mod accounts;
pub mod backoff;
pub mod billing;
pub mod catalog;
pub mod conversations;
pub mod credentials;
pub mod deadline;
pub mod health;
pub mod key_rotation;
pub mod maintenance;
pub mod rate_limit;
pub mod reviews;
pub mod runs;
pub mod uploads;
pub mod workflows;
