//! The embedded defaults Agora uses when no production backend is configured.

use std::path::PathBuf;

pub mod blobs;
pub mod cache;
pub mod echo;
pub mod embedder;
pub mod keys;
pub mod outbox;
pub mod postgres_cluster;
pub mod queue;

/// Where the embedded defaults keep their state, and how the local PostgreSQL runs.
#[derive(Clone, Debug)]
pub struct LocalSettings {
    /// Folder for local state (`AGORA_HOME`): the PostgreSQL cluster, blobs, keys.
    pub home: PathBuf,
    /// Folder holding PostgreSQL's `initdb`, `pg_ctl` and `postgres`.
    pub pg_bin: Option<PathBuf>,
    /// Unprivileged user that runs PostgreSQL when Agora runs as root.
    pub pg_user: String,
}
