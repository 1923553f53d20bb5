//! Where an agent lives: `handle/slug`, optionally pinned to a version (`handle/slug@3`),
//! parsed once into an [`AgentAddress`] wherever an address arrives as text.

use std::fmt;

/// Which version of an agent: its latest published one, a numbered one, or its owner's
/// draft.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VersionChoice {
    #[default]
    Latest,
    Number(i32),
    /// The owner's unpublished draft.
    Draft,
}

/// An agent's address and the version asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentAddress {
    pub handle: String,
    pub slug: String,
    pub version: VersionChoice,
}

impl AgentAddress {
    pub fn new(handle: impl Into<String>, slug: impl Into<String>, version: VersionChoice) -> Self {
        Self {
            handle: handle.into(),
            slug: slug.into(),
            version,
        }
    }

    /// `handle/slug` (the latest version) or `handle/slug@<n>` (version n, 1 or more).
    /// The message says what a good address looks like.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "`{text}` is not an agent address; write `handle/slug`, or `handle/slug@<version>` to pin a version"
            )
        };
        let (path, version) = match text.split_once('@') {
            Some((path, number)) => match number.parse::<i32>() {
                Ok(number) if number >= 1 => (path, VersionChoice::Number(number)),
                _ => return Err(invalid()),
            },
            None => (text, VersionChoice::Latest),
        };
        let (handle, slug) = path
            .split_once('/')
            .filter(|(handle, slug)| !handle.is_empty() && !slug.is_empty() && !slug.contains('/'))
            .ok_or_else(invalid)?;
        Ok(Self::new(handle, slug, version))
    }

    /// The same agent at `version`.
    pub fn at(self, version: VersionChoice) -> Self {
        Self { version, ..self }
    }

    /// `handle/slug`, without the version.
    pub fn path(&self) -> String {
        format!("{}/{}", self.handle, self.slug)
    }
}

impl fmt::Display for AgentAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.handle, self.slug)?;
        match self.version {
            VersionChoice::Number(number) => write!(f, "@{number}"),
            VersionChoice::Latest | VersionChoice::Draft => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn addresses_name_an_agent_and_optionally_a_version() {
        assert_eq!(
            AgentAddress::parse("ada/summarizer").unwrap(),
            AgentAddress::new("ada", "summarizer", VersionChoice::Latest)
        );
        assert_eq!(
            AgentAddress::parse("ada/summarizer@3").unwrap(),
            AgentAddress::new("ada", "summarizer", VersionChoice::Number(3))
        );
        for bad in [
            "", "ada", "ada/", "/x", "a/b/c", "a/b@0", "a/b@-1", "a/b@x", "a/b@", "@1",
        ] {
            assert!(AgentAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn a_written_address_reads_back_the_same(
            handle in "[a-z][a-z0-9-]{0,20}",
            slug in "[a-z][a-z0-9-]{0,30}",
            version in proptest::option::of(1i32..10_000),
        ) {
            let address = AgentAddress::new(
                handle,
                slug,
                version.map_or(VersionChoice::Latest, VersionChoice::Number),
            );
            prop_assert_eq!(AgentAddress::parse(&address.to_string()).unwrap(), address);
        }
    }
}
