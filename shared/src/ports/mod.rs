//! The narrow traits services need from the outside world, one capability each, in one
//! file per area.
//!
//! Adapters in [`crate::adapters`] implement them; each port has one contract suite that
//! every adapter of it passes (see `shared/tests/it/`). Everything here is re-exported at
//! `crate::ports`, so a service names a port by what it is, not by where it is kept.

pub mod accounts;
pub mod audit;
pub mod cache;
pub mod catalog;
pub mod clock;
pub mod conversations;
pub mod credentials;
pub mod credits;
pub mod egress;
pub mod health;
pub mod idempotency;
pub mod llm;
pub mod mail;
pub mod queue;
pub mod reviews;
pub mod runs;
pub mod search;
pub mod tools;
pub mod uploads;
pub mod workflows;

pub use self::{
    accounts::*, audit::*, cache::*, catalog::*, clock::*, conversations::*, credentials::*,
    credits::*, egress::*, health::*, idempotency::*, llm::*, mail::*, queue::*, reviews::*,
    runs::*, search::*, tools::*, uploads::*, workflows::*,
};
