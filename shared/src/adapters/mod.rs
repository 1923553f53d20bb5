//! One module per backend; the only code that knows a backend exists.

pub mod argon2;
pub mod aws;
pub mod local;
pub mod postgres;
pub mod redis;
pub mod secrets;
