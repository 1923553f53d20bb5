//! The embedded defaults Agora uses when no production backend is configured.

pub mod blobs;
pub mod cache;
pub mod echo;
pub mod embedder;
pub mod keys;
pub mod postgres_cluster;
pub mod queue;
