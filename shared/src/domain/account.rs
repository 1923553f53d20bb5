//! Accounts: the display name people see and the role that decides what they may do.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

/// What a user may do beyond their own data. `admin` is granted only by the
/// `agora admin create` command, never by an HTTP route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    /// The stored name back into a role; anything unknown is the least privileged.
    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "admin" => Self::Admin,
            _ => Self::User,
        }
    }
}

/// A display name: trimmed, 1 to 80 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("is required".into());
        }
        if trimmed.chars().count() > MAX_DISPLAY_NAME_CHARS {
            return Err(format!(
                "must be at most {MAX_DISPLAY_NAME_CHARS} characters"
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// A default name for a new account: the part of the address before the @.
    pub fn from_email(email: &super::Email) -> Self {
        let local = email.as_str().split('@').next().unwrap_or_default();
        let name: String = local.chars().take(MAX_DISPLAY_NAME_CHARS).collect();
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"a".repeat(81)).is_err());
        assert!(DisplayName::parse("Ada\u{7}").is_err());
    }

    #[test]
    fn unknown_stored_roles_get_no_privilege() {
        assert_eq!(Role::from_stored("admin"), Role::Admin);
        assert_eq!(Role::from_stored("root"), Role::User);
    }

    proptest! {
        #[test]
        fn parsed_names_keep_the_rules(raw in "\\PC{0,120}") {
            if let Ok(name) = DisplayName::parse(&raw) {
                prop_assert!(!name.as_str().is_empty());
                prop_assert!(name.as_str().chars().count() <= MAX_DISPLAY_NAME_CHARS);
                prop_assert_eq!(name.as_str(), name.as_str().trim());
            }
        }
    }
}
