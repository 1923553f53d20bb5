//! Agora: an open-source AI agent marketplace.
//!
//! Everything that is not a `main` lives here, so route code is written once and served
//! three ways: as Lambda functions ([`lambda`]), as one local HTTP server (`agora serve`),
//! and inside the tests. Handlers ([`api`]) call services ([`services`]), services see only
//! ports ([`ports`]), and adapters ([`adapters`]) are the only code that knows a backend.

pub mod adapters;
pub mod api;
pub mod bootstrap;
pub mod config;
pub mod domain;
pub mod error;
pub mod lambda;
pub mod ports;
pub mod services;
pub mod telemetry;

pub use api::AppState;
pub use config::Config;
pub use error::{Error, Result};

/// The version every health report and the OpenAPI document carry.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(feature = "testing")]
pub mod testing;
