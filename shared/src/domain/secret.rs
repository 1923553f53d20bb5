//! Credentials held in memory: printable only on purpose, never by `{:?}` or `{}`.

use std::fmt;

/// A provider key or any other credential. `Debug` shows its length only, so a struct that
/// holds one can be logged without leaking it; [`SecretString::expose`] is the one way out.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself, for the one header or request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, to tell keys apart in a list.
    pub fn last_four(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretString({} characters)", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_secret() {
        let key = SecretString::new("sk-live-abcdef123456");
        assert_eq!(format!("{key:?}"), "SecretString(20 characters)");
        assert_eq!(key.last_four(), "3456");
        assert_eq!(SecretString::new("ab").last_four(), "ab");
    }
}
