//! End-to-end: the real `agora` binary, started as a user would, driven over HTTP.
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
mod cli;
mod openai_sdk;
mod serve;
