//! Who is asking: every service function receives a [`Caller`] and decides from it what
//! the request may see and do. Authorization lives in the services, not in the routes.

use std::net::IpAddr;

use uuid::Uuid;

use super::Role;

/// The authenticated party of a request, or nobody.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    User(Principal),
}

/// A signed-in user and the credential they presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub role: Role,
    pub credential: Credential,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// An access token of a sign-in session (its refresh-token family).
    Session { session_id: Uuid },
    /// An API key.
    ApiKey { key_id: Uuid },
    /// A workflow run's steps, on behalf of the user who started it.
    WorkflowRun { run_id: Uuid },
}

impl Caller {
    /// The signed-in user, or 401.
    pub fn user(&self) -> Result<&Principal, CallerError> {
        match self {
            Self::User(principal) => Ok(principal),
            Self::Anonymous => Err(CallerError::SignedOut),
        }
    }

    /// An admin, or 401 for nobody and 403 for a user.
    pub fn admin(&self) -> Result<&Principal, CallerError> {
        let principal = self.user()?;
        match principal.role {
            Role::Admin => Ok(principal),
            Role::User => Err(CallerError::NotAdmin),
        }
    }

    /// The user id, when signed in.
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::User(principal) => Some(principal.user_id),
            Self::Anonymous => None,
        }
    }
}

/// Why a caller may not do something: nobody signed in (401), or not an administrator
/// (403).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    #[error("Sign in first: send `Authorization: Bearer <access token or API key>`.")]
    SignedOut,
    #[error("This needs an administrator account.")]
    NotAdmin,
}

/// Where a request came from, for the audit log and per-address limits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestOrigin {
    /// The client's address as the front door saw it (API Gateway's source IP, the ALB's
    /// X-Forwarded-For, or the socket locally).
    pub client_addr: Option<IpAddr>,
    pub request_id: Option<String>,
}
