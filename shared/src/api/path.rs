//! Path and body values that name things: run and conversation ids, agent addresses and
//! version choices, each parsed with an error that says what is wrong.

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    Error,
    domain::{AgentAddress, VersionChoice, VersionNumber},
};

/// A version number, or `"draft"` (the owner's unpublished draft).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum VersionParam {
    Number(i32),
    #[schema(example = "draft")]
    Named(String),
}

impl VersionParam {
    pub fn choice(param: Option<&Self>, field: &str) -> Result<VersionChoice, Error> {
        match param {
            None => Ok(VersionChoice::Latest),
            Some(Self::Number(number)) if *number >= 1 => Ok(VersionChoice::Number(*number)),
            Some(Self::Named(name)) if name == "draft" => Ok(VersionChoice::Draft),
            Some(Self::Named(name)) if name == "latest" => Ok(VersionChoice::Latest),
            Some(_) => Err(Error::invalid(
                field,
                "must be a version number (1 or more), \"latest\" or \"draft\"",
            )),
        }
    }
}

/// An agent's `handle/slug` (its version comes in a field of its own), or a 422 on `field`.
pub fn agent_address(text: &str, field: &str) -> Result<AgentAddress, Error> {
    AgentAddress::parse(text)
        .ok()
        .filter(|address| address.version == VersionChoice::Latest)
        .ok_or_else(|| Error::invalid(field, "must be an agent address `handle/slug`"))
}

/// An id from a path, or the 404 of a missing one (`missing` says what is missing).
pub fn parse_id(id: &str, missing: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(id).map_err(|_| Error::NotFound(missing.to_owned()))
}

/// `{handle}/{slug}` path parameters.
#[derive(Debug, Deserialize)]
pub struct AgentPath {
    pub handle: String,
    pub slug: String,
}

/// `{handle}/{slug}/versions/{version}` path parameters; a version that is not a positive
/// number is as missing as an unknown one.
#[derive(Debug, Deserialize)]
pub struct VersionPath {
    pub handle: String,
    pub slug: String,
    version: String,
}

impl VersionPath {
    pub fn number(&self) -> Result<i32, Error> {
        VersionNumber::parse(&self.version)
            .map(VersionNumber::get)
            .map_err(|_| Error::NotFound(format!("This agent has no version {}.", self.version)))
    }
}
