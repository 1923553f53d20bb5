//! Credits: what runs cost, held as integer micro-credits (never floats), written as
//! decimal strings in the API (`"0.05"`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Micro-credits per credit.
pub const MICROS_PER_CREDIT: i64 = 1_000_000;

/// An amount of credits, exact to a millionth, never negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Credits(i64);

impl Credits {
    pub const ZERO: Self = Self(0);
    /// The largest price an agent may ask per run.
    pub const MAX_PRICE: Self = Self(1_000 * MICROS_PER_CREDIT);
    /// The most credits one grant may add.
    pub const MAX_GRANT: Self = Self(1_000_000 * MICROS_PER_CREDIT);

    pub fn from_micros(micros: i64) -> Result<Self, String> {
        if micros < 0 {
            return Err("must not be negative".into());
        }
        Ok(Self(micros))
    }

    /// Parses `"12"`, `"0.05"` or `"1.000001"`: at most six decimals, no sign, no exponent.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let invalid =
            || format!("`{raw}` is not an amount of credits like 0.05 (at most 6 decimals)");
        let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > 6
            || (raw.contains('.') && fraction.is_empty())
            || whole.len() > 12
        {
            return Err(invalid());
        }
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<6}").parse().map_err(|_| invalid())?
        };
        whole
            .checked_mul(MICROS_PER_CREDIT)
            .and_then(|micros| micros.checked_add(fraction))
            .map(Self)
            .ok_or_else(invalid)
    }

    pub fn micros(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Credits {
    /// The shortest exact decimal: `0.05`, `12`, `1.000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / MICROS_PER_CREDIT;
        let fraction = self.0 % MICROS_PER_CREDIT;
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{fraction:06}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl Serialize for Credits {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Credits {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn decimal_strings_parse_exactly() {
        assert_eq!(Credits::parse("0.05").unwrap().micros(), 50_000);
        assert_eq!(Credits::parse("12").unwrap().micros(), 12_000_000);
        assert_eq!(Credits::parse("1.000001").unwrap().micros(), 1_000_001);
        for bad in [
            "",
            "-1",
            "1.",
            ".5",
            "1.0000001",
            "1e3",
            "0x10",
            " 1",
            "1,5",
            "NaN",
            "9999999999999",
        ] {
            assert!(Credits::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Credits::parse("0.050").unwrap().to_string(), "0.05");
    }

    proptest! {
        #[test]
        fn printing_and_parsing_round_trip(micros in 0i64..=1_000_000_000_000_000) {
            let credits = Credits::from_micros(micros).unwrap();
            prop_assert_eq!(Credits::parse(&credits.to_string()).unwrap(), credits);
        }
    }
}
