//! Who may see what a user publishes (an agent, a workflow): one rule for both.

use uuid::Uuid;

use super::{Caller, Role, caller::Principal};

/// Who may see an agent or a workflow beyond its owner.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The owner only.
    Private,
    /// Anyone with the address; absent from listings and search.
    Unlisted,
    /// Everyone; listed once published.
    Public,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Unlisted => "unlisted",
            Self::Public => "public",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "public" => Self::Public,
            "unlisted" => Self::Unlisted,
            _ => Self::Private,
        }
    }
}

/// Where an agent or a workflow is in its life.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Never published.
    Draft,
    Published,
    /// Taken off the marketplace by an administrator; the owner sees the reason.
    Delisted,
}

impl AgentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Delisted => "delisted",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "published" => Self::Published,
            "delisted" => Self::Delisted,
            _ => Self::Draft,
        }
    }
}

/// What decides who sees a published thing.
#[derive(Clone, Copy, Debug)]
pub struct Exposure {
    pub owner_id: Uuid,
    pub visibility: Visibility,
    pub status: AgentStatus,
    /// Whether a version was ever published.
    pub published: bool,
}

impl Exposure {
    /// Out for everyone: published, not private (unlisted ones by their address).
    pub fn is_out(&self) -> bool {
        self.status == AgentStatus::Published
            && self.visibility != Visibility::Private
            && self.published
    }

    /// Whether `caller` may see it: its owner always, anyone when it is out, and
    /// administrators a delisted one too (to review it). For everyone else it does not
    /// exist.
    pub fn visible_to(&self, caller: &Caller) -> bool {
        let admin = matches!(
            caller,
            Caller::User(Principal {
                role: Role::Admin,
                ..
            })
        );
        caller.user_id() == Some(self.owner_id)
            || self.is_out()
            || (admin && self.status == AgentStatus::Delisted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::caller::Credential;

    fn user(id: Uuid, role: Role) -> Caller {
        Caller::User(Principal {
            user_id: id,
            role,
            credential: Credential::ApiKey {
                key_id: Uuid::nil(),
            },
        })
    }

    #[test]
    fn owners_see_everything_others_what_is_out_and_admins_what_was_delisted() {
        let owner = Uuid::from_u128(1);
        let exposure = |visibility, status, published| Exposure {
            owner_id: owner,
            visibility,
            status,
            published,
        };
        let stranger = user(Uuid::from_u128(2), Role::User);
        let admin = user(Uuid::from_u128(3), Role::Admin);
        let cases = [
            (
                exposure(Visibility::Public, AgentStatus::Published, true),
                true,
                true,
            ),
            (
                exposure(Visibility::Unlisted, AgentStatus::Published, true),
                true,
                true,
            ),
            (
                exposure(Visibility::Private, AgentStatus::Published, true),
                false,
                false,
            ),
            (
                exposure(Visibility::Public, AgentStatus::Draft, false),
                false,
                false,
            ),
            (
                exposure(Visibility::Public, AgentStatus::Published, false),
                false,
                false,
            ),
            (
                exposure(Visibility::Public, AgentStatus::Delisted, true),
                false,
                true,
            ),
        ];
        for (exposure, seen_by_anyone, seen_by_admin) in cases {
            assert!(
                exposure.visible_to(&user(owner, Role::User)),
                "{exposure:?}"
            );
            assert_eq!(
                exposure.visible_to(&stranger),
                seen_by_anyone,
                "{exposure:?}"
            );
            assert_eq!(exposure.visible_to(&Caller::Anonymous), seen_by_anyone);
            assert_eq!(exposure.visible_to(&admin), seen_by_admin, "{exposure:?}");
            assert_eq!(exposure.is_out(), seen_by_anyone);
        }
    }
}
