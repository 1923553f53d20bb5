//! Version numbers of published agents: 1, 2, 3, ... written `3` or `v3`.

use std::fmt;

/// A published version's number, at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionNumber(i32);

impl VersionNumber {
    /// Parses `3` or `v3`; anything else (0, negative, text, overflow) says what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let digits = raw.strip_prefix('v').unwrap_or(raw);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{raw}` is not a version number like 3 or v3"));
        }
        match digits.parse::<i32>() {
            Ok(number) if number >= 1 => Ok(Self(number)),
            _ => Err(format!(
                "`{raw}` is not a version number from 1 to {}",
                i32::MAX
            )),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for VersionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn numbers_and_v_prefixed_numbers_parse() {
        assert_eq!(VersionNumber::parse("3").unwrap().get(), 3);
        assert_eq!(VersionNumber::parse("v12").unwrap().get(), 12);
        for bad in [
            "",
            "v",
            "0",
            "v0",
            "-1",
            "+1",
            "1.0",
            "abc",
            "99999999999",
            " 1",
            "V2",
        ] {
            assert!(VersionNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn every_positive_number_round_trips(number in 1i32..=i32::MAX) {
            let parsed = VersionNumber::parse(&number.to_string()).unwrap();
            prop_assert_eq!(parsed.get(), number);
            prop_assert_eq!(VersionNumber::parse(&format!("v{parsed}")).unwrap(), parsed);
        }

        #[test]
        fn any_text_parses_or_explains(raw in "\\PC{0,20}") {
            match VersionNumber::parse(&raw) {
                Ok(version) => prop_assert!(version.get() >= 1),
                Err(reason) => prop_assert!(!reason.is_empty()),
            }
        }
    }
}
