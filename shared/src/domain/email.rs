//! Email addresses: trimmed, lower-cased and checked once, so two spellings of one address
//! are one account.

use std::fmt;

/// The longest address SMTP can carry (RFC 5321: 254 octets in a path).
pub const MAX_EMAIL_BYTES: usize = 254;
const MAX_LOCAL_PART_BYTES: usize = 64;
const MAX_LABEL_BYTES: usize = 63;

/// A normalised email address: `Ada@Example.COM ` becomes `ada@example.com`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address, or says what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let normalised = raw.trim().to_lowercase();
        if normalised.is_empty() {
            return Err("is required".into());
        }
        if normalised.len() > MAX_EMAIL_BYTES {
            return Err(format!("must be at most {MAX_EMAIL_BYTES} bytes"));
        }
        if normalised
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err("must not contain spaces or control characters".into());
        }
        let Some((local, domain)) = normalised.split_once('@') else {
            return Err("must look like name@example.com".into());
        };
        if domain.contains('@') {
            return Err("must contain exactly one @".into());
        }
        if local.is_empty() || local.len() > MAX_LOCAL_PART_BYTES {
            return Err(format!(
                "needs 1 to {MAX_LOCAL_PART_BYTES} bytes before the @"
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(
                "must not start or end the name with a dot, or have two dots in a row".into(),
            );
        }
        if local.chars().any(|c| {
            matches!(
                c,
                '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | '\\' | ']'
            )
        }) {
            return Err("has a character that is not allowed before the @".into());
        }
        check_domain(domain)?;
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_domain(domain: &str) -> Result<(), String> {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("needs a domain with a dot after the @, like example.com".into());
    }
    for label in &labels {
        let valid = !label.is_empty()
            && label.len() <= MAX_LABEL_BYTES
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !valid {
            return Err("has a domain that is not a valid host name".into());
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err("has a domain that is not a valid host name".into());
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada.Lovelace+agora@Example.COM ")
                .unwrap()
                .as_str(),
            "ada.lovelace+agora@example.com"
        );
    }

    #[test]
    fn malformed_addresses_are_rejected_with_a_reason() {
        for raw in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a@b@example.com",
            "ada lovelace@example.com",
            "ada@exa mple.com",
            ".ada@example.com",
            "ada.@example.com",
            "a..da@example.com",
            "ada@-example.com",
            "ada@example..com",
            "ada@example.123",
            "ada\u{0}@example.com",
            "\"ada\"@example.com",
        ] {
            let error = Email::parse(raw).expect_err(raw);
            assert!(!error.is_empty(), "{raw:?}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
        let long = format!("a@{}.com", "b".repeat(250));
        assert!(Email::parse(&long).unwrap_err().contains("254"));
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent_and_case_insensitive(
            local in "[a-zA-Z0-9][a-zA-Z0-9_+-]{0,20}",
            domain in "[a-zA-Z][a-zA-Z0-9-]{0,10}[a-zA-Z0-9]",
            tld in "[a-zA-Z]{2,6}",
        ) {
            let raw = format!("{local}@{domain}.{tld}");
            let email = Email::parse(&raw).unwrap();
            prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
            prop_assert_eq!(Email::parse(&raw.to_uppercase()).unwrap(), email);
        }

        #[test]
        fn any_input_parses_or_explains_without_panicking(raw in "\\PC{0,300}") {
            match Email::parse(&raw) {
                Ok(email) => {
                    prop_assert!(email.as_str().len() <= MAX_EMAIL_BYTES);
                    prop_assert!(email.as_str().contains('@'));
                }
                Err(reason) => prop_assert!(!reason.is_empty()),
            }
        }
    }
}
