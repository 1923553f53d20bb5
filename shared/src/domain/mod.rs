//! Domain values and rules: parsed newtypes that cannot hold an invalid value, and no I/O.
//!
//! Each type has a `parse` constructor that says what is wrong in words a user can act on;
//! services turn that message into a per-field validation error.

pub mod account;
pub mod caller;
pub mod email;
pub mod password;

pub use account::{DisplayName, Role};
pub use caller::{Caller, RequestOrigin};
pub use email::Email;
pub use password::Password;
