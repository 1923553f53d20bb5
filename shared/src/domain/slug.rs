//! Names in URLs: agent slugs and user handles. An agent's address is `<handle>/<slug>`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Words that would make an address read like part of the API or the site.
const RESERVED: &[&str] = &[
    "admin",
    "agents",
    "api",
    "app",
    "auth",
    "categories",
    "creators",
    "help",
    "import",
    "login",
    "logout",
    "me",
    "new",
    "null",
    "register",
    "root",
    "saved",
    "search",
    "settings",
    "signin",
    "signup",
    "static",
    "status",
    "support",
    "system",
    "undefined",
    "v1",
    "www",
];

/// Checks the shared shape: lower-case ASCII letters, digits and single hyphens, starting
/// with a letter and not ending with a hyphen, `min..=max` characters.
fn check(raw: &str, min: usize, max: usize, what: &str) -> Result<(), String> {
    if raw.len() < min || raw.len() > max {
        return Err(format!("must be {min} to {max} characters"));
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("may use only lower-case letters, digits and hyphens".into());
    }
    if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a letter".into());
    }
    if raw.ends_with('-') || raw.contains("--") {
        return Err("must not end with a hyphen or have two in a row".into());
    }
    if RESERVED.contains(&raw) {
        return Err(format!("`{raw}` is reserved; choose another {what}"));
    }
    Ok(())
}

/// An agent's slug, unique per owner: `contract-reviewer`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    pub const MIN: usize = 3;
    pub const MAX: usize = 48;

    pub fn parse(raw: &str) -> Result<Self, String> {
        check(raw, Self::MIN, Self::MAX, "slug")?;
        Ok(Self(raw.to_owned()))
    }

    /// A slug made from a name: `Contract Reviewer!` becomes `contract-reviewer`. `None`
    /// when the name has too few letters or digits to make one.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut slug = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
        let mut slug: String = slug.chars().take(Self::MAX).collect();
        while slug.ends_with('-') {
            slug.pop();
        }
        Self::parse(&slug).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user's public handle, unique: `ada`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(String);

impl Handle {
    pub const MIN: usize = 3;
    pub const MAX: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, String> {
        check(raw, Self::MIN, Self::MAX, "handle")?;
        Ok(Self(raw.to_owned()))
    }

    /// A handle suggested from an email (`Ada.Lovelace@example.com` gives `ada-lovelace`),
    /// or `user` when the address has nothing usable.
    pub fn from_email(email: &super::Email) -> Self {
        let local = email.as_str().split('@').next().unwrap_or_default();
        let base = Slug::from_name(local)
            .map(|slug| slug.0)
            .unwrap_or_default();
        let base: String = base.chars().take(Self::MAX - 5).collect();
        let base = base.trim_end_matches('-');
        match Self::parse(base) {
            Ok(handle) => handle,
            Err(_) => Self("user".into()),
        }
    }

    /// This handle with a numeric suffix, to try when it is taken (`ada-2`).
    pub fn with_suffix(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let base: String = self.0.chars().take(Self::MAX - suffix.len()).collect();
        Self(format!("{}{suffix}", base.trim_end_matches('-')))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_serde {
    ($type:ty) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_serde!(Slug);
string_serde!(Handle);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn slugs_follow_the_url_rules() {
        for good in ["abc", "contract-reviewer", "gpt4-helper", "a1-b2-c3"] {
            assert!(Slug::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "Abc",
            "1abc",
            "-abc",
            "abc-",
            "a--b",
            "a_b",
            "ab c",
            "admin",
            "v1",
            &"a".repeat(49),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_emails_suggest_valid_addresses() {
        assert_eq!(
            Slug::from_name("Contract Reviewer!").unwrap().as_str(),
            "contract-reviewer"
        );
        assert_eq!(
            Slug::from_name("  42 Ways to Code  ").unwrap().as_str(),
            "ways-to-code"
        );
        assert_eq!(Slug::from_name("!!"), None);
        let email = super::super::Email::parse("Ada.Lovelace+x@example.com").unwrap();
        assert_eq!(Handle::from_email(&email).as_str(), "ada-lovelace-x");
        let short = super::super::Email::parse("a@example.com").unwrap();
        assert_eq!(Handle::from_email(&short).as_str(), "user");
        assert_eq!(
            Handle::parse("ada").unwrap().with_suffix(12).as_str(),
            "ada-12"
        );
    }

    proptest! {
        #[test]
        fn suggestions_always_parse(name in "\\PC{0,80}") {
            if let Some(slug) = Slug::from_name(&name) {
                prop_assert!(Slug::parse(slug.as_str()).is_ok());
            }
        }

        #[test]
        fn handles_from_any_email_and_suffix_parse(local in "[a-zA-Z0-9._+-]{1,40}", n in 2u32..100_000) {
            if let Ok(email) = super::super::Email::parse(&format!("{local}@example.com")) {
                let handle = Handle::from_email(&email);
                prop_assert!(Handle::parse(handle.as_str()).is_ok());
                prop_assert!(Handle::parse(handle.with_suffix(n).as_str()).is_ok());
            }
        }
    }
}
