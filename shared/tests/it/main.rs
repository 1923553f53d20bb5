//! Integration tests of the `agora` library against real PostgreSQL, Redis and moto.
//! One test binary (faster to link); each module reads as the specification of one area.
#![expect(
    clippy::disallowed_methods,
    reason = "tests find their servers in the environment scripts/test sets"
)]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod accounts;
mod agent_tools;
mod agreement;
mod api;
mod architecture;
mod auth_security;
mod aws;
mod cache;
mod catalog;
mod chat;
mod client_tools;
mod contracts;
mod embedders;
mod faults;
mod hostile_providers;
mod idempotency;
mod lambda;
mod llm_stub;
mod mcp_tools;
mod postgres;
mod provider_keys;
mod providers;
mod responses;
mod reviews;
mod runs;
mod search_index;
mod signing_keys;
mod support;
mod uploads;
mod verification;
mod workflows;
mod xray;
