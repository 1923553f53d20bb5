//! Domain values and rules: parsed newtypes that cannot hold an invalid value, and no I/O.
//!
//! Each type has a `parse` constructor that says what is wrong in words a user can act on;
//! services turn that message into a per-field validation error.

pub mod account;
pub mod address;
pub mod agent;
pub mod agent_tools;
pub mod blob;
pub mod caller;
pub mod crypto;
pub mod email;
pub mod json;
pub mod key_rotation;
pub mod llm;
pub mod models;
pub mod money;
pub mod password;
pub mod pricing;
pub mod secret;
pub mod slug;
pub mod tokens;
pub mod validation;
pub mod version;
pub mod visibility;
pub mod workflow;

pub use account::{DisplayName, Role};
pub use address::{AgentAddress, VersionChoice};
pub use agent::{AgentSpec, Licence};
pub use caller::{Caller, RequestOrigin};
pub use email::Email;
pub use money::Credits;
pub use password::Password;
pub use slug::{Handle, Slug};
pub use validation::FieldError;
pub use version::VersionNumber;
