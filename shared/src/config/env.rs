//! The variables of one process, read once, with parsers that say what a good value looks
//! like when one is malformed.

use std::{collections::HashMap, fmt, str::FromStr, time::Duration};

use super::ConfigError;

/// The environment as given (blank values count as unset).
pub struct Env(HashMap<String, String>);

/// A JSON object of further variables (a container's task definition passes the stack's
/// settings in one value); a variable set on its own wins over the same name in here.
pub const SETTINGS_JSON: &str = "AGORA_SETTINGS_JSON";

impl Env {
    pub fn new(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut vars: HashMap<String, String> = vars
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let bundled: HashMap<String, String> = vars
            .get(SETTINGS_JSON)
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        for (name, value) in bundled {
            if !value.trim().is_empty() {
                vars.entry(name).or_insert(value);
            }
        }
        Self(vars)
    }

    /// Whether `AGORA_SETTINGS_JSON` is set but not an object of strings.
    pub fn bundled_settings_invalid(&self) -> bool {
        self.0
            .get(SETTINGS_JSON)
            .is_some_and(|json| serde_json::from_str::<HashMap<String, String>>(json).is_err())
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|value| value.trim().to_owned())
    }

    pub fn invalid(&self, variable: &'static str, problem: String) -> ConfigError {
        ConfigError { variable, problem }
    }

    pub fn parse_bool(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self
            .get(name)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(other) => Err(self.invalid(
                name,
                format!("`{other}` is not a boolean; use `true` or `false`"),
            )),
        }
    }

    pub fn parse_range<T>(
        &self,
        name: &'static str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(raw) = self.get(name) else {
            return Ok(default);
        };
        match raw.parse::<T>() {
            Ok(value) if range.contains(&value) => Ok(value),
            _ => Err(self.invalid(
                name,
                format!(
                    "`{raw}` is not a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    pub fn parse_millis(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        self.parse_range(name, default, 1..=3_600_000)
            .map(Duration::from_millis)
    }

    pub fn parse_seconds(
        &self,
        name: &'static str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.parse_range(name, default, range)
            .map(Duration::from_secs)
    }

    /// A required http(s) URL (an operator's setting, not a user's), without a trailing
    /// slash.
    pub fn http_url(&self, name: &'static str) -> Result<String, ConfigError> {
        let url = self.get(name).ok_or_else(|| {
            self.invalid(name, "is required, e.g. http://127.0.0.1:11434/v1".into())
        })?;
        match url.parse::<http::Uri>() {
            Ok(uri)
                if matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some() =>
            {
                Ok(url.trim_end_matches('/').to_owned())
            }
            _ => Err(self.invalid(name, format!("`{url}` is not an http(s) URL"))),
        }
    }

    /// An optional http(s) URL, or `default` when unset.
    pub fn http_url_or(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        match self.get(name) {
            Some(_) => self.http_url(name),
            None => Ok(default.to_owned()),
        }
    }
}
