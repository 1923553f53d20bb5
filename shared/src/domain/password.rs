//! Passwords as users choose them: length rules checked before any hashing, and a value
//! that never prints.

use std::fmt;

/// Shortest accepted password, in characters (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password, in bytes: checked before hashing, so a huge body costs
/// nothing (OWASP: cap the input of a slow hash).
pub const MAX_PASSWORD_BYTES: usize = 256;

/// Passwords that meet the length rule yet are among the first an attacker tries.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "1111111111",
    "0000000000",
    "1q2w3e4r5t",
    "qwertyuiop",
    "1qaz2wsx3edc",
    "password123",
    "password1234",
    "password12",
    "passw0rd123",
    "iloveyou123",
    "qwerty12345",
    "qwerty123456",
    "abcdefghij",
    "abc1234567",
    "letmein123",
    "welcome123",
    "changeme123",
    "administrator",
    "football123",
    "baseball123",
    "superman123",
    "trustno1234",
    "aaaaaaaaaa",
];

/// A password a user chose, already checked against the rules above. Its `Debug` and
/// `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Checks a new password (sign-up, password change).
    pub fn parse(raw: &str) -> Result<Self, String> {
        check_length(raw)?;
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(format!(
                "must be at least {MIN_PASSWORD_CHARS} characters long"
            ));
        }
        let lowered = raw.to_lowercase();
        if COMMON_PASSWORDS.contains(&lowered.as_str())
            || lowered.chars().all(|c| lowered.starts_with(c))
        {
            return Err("is too common; choose something harder to guess".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// Checks only the length cap: what a login attempt needs before hashing, since old
    /// passwords may predate the other rules.
    pub fn for_login(raw: &str) -> Result<Self, String> {
        check_length(raw)?;
        if raw.is_empty() {
            return Err("is required".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn check_length(raw: &str) -> Result<(), String> {
    if raw.len() > MAX_PASSWORD_BYTES {
        return Err(format!("must be at most {MAX_PASSWORD_BYTES} bytes long"));
    }
    Ok(())
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn length_rules_are_checked() {
        assert!(Password::parse("correct horse").is_ok());
        assert!(
            Password::parse("short")
                .unwrap_err()
                .contains("at least 10")
        );
        let longest = "x".repeat(MAX_PASSWORD_BYTES - 1) + "y";
        assert!(Password::parse(&longest).is_ok());
        let too_long = longest + "z";
        assert!(
            Password::parse(&too_long)
                .unwrap_err()
                .contains("256 bytes")
        );
        assert!(Password::for_login(&too_long).is_err());
        // Ten characters of four bytes each is 40 bytes: characters count, not bytes.
        assert!(Password::parse("🔑🔒🔓🗝️🔐🔏🛡️🚪🧷🪪").is_ok());
    }

    #[test]
    fn common_and_repeated_passwords_are_refused() {
        for weak in ["password123", "Password123", "qwertyuiop", "zzzzzzzzzzzz"] {
            assert!(
                Password::parse(weak).unwrap_err().contains("common"),
                "{weak}"
            );
        }
    }

    #[test]
    fn a_password_never_prints() {
        let password = Password::parse("hunter2-but-longer").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }

    proptest! {
        #[test]
        fn over_the_cap_is_always_rejected(extra in 1usize..2048) {
            let raw = "a".repeat(MAX_PASSWORD_BYTES) + &"b".repeat(extra);
            prop_assert!(Password::parse(&raw).is_err());
            prop_assert!(Password::for_login(&raw).is_err());
        }
    }
}
