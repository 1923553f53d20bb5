//! The embedded defaults Agora uses when no production backend is configured.

pub mod cache;
pub mod postgres_cluster;
