//! The agent definition, format `agora.agent/v1`: everything a creator writes, stored as an
//! immutable JSON document per published version, exported and imported as is. Its JSON
//! Schema is published at `docs/schemas/agora.agent.v1.json`.
//!
//! [`AgentSpec::validate`] checks every rule that needs no database (lengths, counts,
//! models, limits) and reports all failures at once, each with its JSON path.

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::{Credits, agent_tools::AgentTool, models};

pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_SUMMARY_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
pub const MAX_SYSTEM_PROMPT_CHARS: usize = 50_000;
pub const MAX_TAGS: usize = 10;
pub const MAX_EXAMPLE_PROMPTS: usize = 10;
pub const MAX_EXAMPLE_PROMPT_CHARS: usize = 1_000;
pub const MAX_CONVERSATIONS: usize = 5;
pub const MAX_CONVERSATION_MESSAGES: usize = 20;
pub const MAX_MESSAGE_CHARS: usize = 4_000;
pub const MAX_INPUTS: usize = 20;
pub const MAX_FALLBACKS: usize = 3;

/// The format tag every spec carries; a later format gets a new tag.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
pub enum SpecFormat {
    #[default]
    #[serde(rename = "agora.agent/v1")]
    V1,
}

/// Who may see the prompt and fork the agent.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Licence {
    /// The system prompt is visible to everyone who can see the agent, and it can be forked.
    #[default]
    Open,
    /// The system prompt and knowledge are shown to the owner only; no forks.
    Sealed,
}

/// An agent definition (`agora.agent/v1`).
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Agora agent definition", extend("$id" = "https://agora.dev/schemas/agora.agent.v1.json"))]
pub struct AgentSpec {
    /// Always `agora.agent/v1`.
    #[serde(default)]
    pub format: SpecFormat,
    /// Shown everywhere; 1 to 80 characters.
    pub name: String,
    /// One line for listings; 1 to 200 characters.
    pub summary: String,
    /// Markdown, up to 20,000 characters; rendered without raw HTML.
    #[serde(default)]
    pub description: String,
    /// A category slug (`GET /v1/categories`).
    pub category: String,
    /// Up to 10 tags, each 2 to 32 lower-case letters, digits or hyphens.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The language the agent works in: a BCP 47 tag such as `en` or `pt-BR`.
    #[serde(default = "default_language")]
    pub language: String,
    /// The key of an uploaded icon (`POST /v1/uploads`), if any.
    #[serde(default)]
    pub icon: Option<String>,
    #[serde(default)]
    pub examples: Examples,
    /// The instructions the model receives; up to 50,000 characters. Hidden from everyone
    /// but the owner when the licence is `sealed`.
    #[serde(default)]
    pub system_prompt: String,
    /// Fields a user fills in before a run; up to 20.
    #[serde(default)]
    pub inputs: Vec<InputField>,
    pub model: ModelChoice,
    /// Tools the model may call while it answers, run by Agora: the built-ins
    /// (`{"type": "builtin", "name": "current_time"}`, `fetch_page`); up to 20.
    #[serde(default)]
    pub tools: Vec<AgentTool>,
    /// Reserved for knowledge files; must be empty in this version.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub knowledge: Vec<serde_json::Value>,
    /// What one run costs the user on top of the model, in credits (`"0.05"`).
    #[serde(default)]
    #[schema(value_type = String, example = "0.05")]
    #[schemars(with = "String")]
    pub price_per_run: Credits,
    #[serde(default)]
    pub licence: Licence,
}

fn default_language() -> String {
    "en".to_owned()
}

/// What users see before trying the agent.
#[derive(
    Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Up to 10 prompts to start with.
    #[serde(default)]
    pub prompts: Vec<String>,
    /// Up to 5 sample conversations of up to 20 messages.
    #[serde(default)]
    pub conversations: Vec<Vec<ExampleMessage>>,
}

#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ExampleMessage {
    pub role: ExampleRole,
    pub content: String,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ExampleRole {
    User,
    Assistant,
}

/// A field a user fills in; its value is given to the model with the prompt.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct InputField {
    /// An identifier: lower-case letters, digits and underscores.
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: InputKind,
    #[serde(default)]
    pub required: bool,
    /// The choices of a `select` field.
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Text,
    LongText,
    Number,
    Boolean,
    Select,
}

/// The model and, in order, the models to fall back to.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ModelChoice {
    pub provider: models::Provider,
    /// A model the provider offers (`GET /v1/llm-models`), or any model your endpoint
    /// serves (`openai_compatible`).
    pub name: String,
    /// With `openai_compatible`: the name of your endpoint (`POST /v1/me/provider-keys`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub parameters: ModelParameters,
    /// Up to 3 models tried in order when the first fails.
    #[serde(default)]
    pub fallbacks: Vec<ModelRef>,
}

#[derive(
    Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ModelRef {
    pub provider: models::Provider,
    pub name: String,
    /// With `openai_compatible`: the name of your endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

#[derive(
    Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ModelParameters {
    /// 0 to 2.
    pub temperature: Option<f64>,
    /// Above 0, at most 1.
    pub top_p: Option<f64>,
    /// At least 1, at most the model's output limit.
    pub max_tokens: Option<u32>,
}

impl AgentSpec {
    /// Every rule that needs no database, all failures at once, with JSON paths.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |field: String, message: String| errors.push(FieldError { field, message });
        text(&mut fail, "name", &self.name, 1, MAX_NAME_CHARS, true);
        text(
            &mut fail,
            "summary",
            &self.summary,
            1,
            MAX_SUMMARY_CHARS,
            true,
        );
        text(
            &mut fail,
            "description",
            &self.description,
            0,
            MAX_DESCRIPTION_CHARS,
            false,
        );
        text(
            &mut fail,
            "system_prompt",
            &self.system_prompt,
            0,
            MAX_SYSTEM_PROMPT_CHARS,
            false,
        );
        if self.category.trim().is_empty() {
            fail("category".into(), "is required".into());
        }
        if self.tags.len() > MAX_TAGS {
            fail("tags".into(), format!("must have at most {MAX_TAGS} tags"));
        }
        for (index, tag) in self.tags.iter().enumerate() {
            let valid = (2..=32).contains(&tag.len())
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                fail(
                    format!("tags[{index}]"),
                    "must be 2 to 32 lower-case letters, digits or hyphens".into(),
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        if self.tags.iter().any(|tag| !seen.insert(tag)) {
            fail("tags".into(), "must not repeat a tag".into());
        }
        if !is_language_tag(&self.language) {
            fail(
                "language".into(),
                "must be a language tag such as en or pt-BR".into(),
            );
        }
        if self.examples.prompts.len() > MAX_EXAMPLE_PROMPTS {
            fail(
                "examples.prompts".into(),
                format!("must have at most {MAX_EXAMPLE_PROMPTS} prompts"),
            );
        }
        for (index, prompt) in self.examples.prompts.iter().enumerate() {
            text(
                &mut fail,
                &format!("examples.prompts[{index}]"),
                prompt,
                1,
                MAX_EXAMPLE_PROMPT_CHARS,
                true,
            );
        }
        if self.examples.conversations.len() > MAX_CONVERSATIONS {
            fail(
                "examples.conversations".into(),
                format!("must have at most {MAX_CONVERSATIONS} conversations"),
            );
        }
        for (index, conversation) in self.examples.conversations.iter().enumerate() {
            let path = format!("examples.conversations[{index}]");
            if conversation.is_empty() || conversation.len() > MAX_CONVERSATION_MESSAGES {
                fail(
                    path.clone(),
                    format!("must have 1 to {MAX_CONVERSATION_MESSAGES} messages"),
                );
            }
            for (position, message) in conversation.iter().enumerate() {
                text(
                    &mut fail,
                    &format!("{path}[{position}].content"),
                    &message.content,
                    1,
                    MAX_MESSAGE_CHARS,
                    true,
                );
            }
        }
        if self.inputs.len() > MAX_INPUTS {
            fail(
                "inputs".into(),
                format!("must have at most {MAX_INPUTS} fields"),
            );
        }
        let mut names = std::collections::HashSet::new();
        for (index, input) in self.inputs.iter().enumerate() {
            let path = format!("inputs[{index}]");
            let valid_name = (1..=40).contains(&input.name.len())
                && input.name.starts_with(|c: char| c.is_ascii_lowercase())
                && input
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid_name {
                fail(format!("{path}.name"), "must be 1 to 40 lower-case letters, digits or underscores, starting with a letter".into());
            } else if !names.insert(&input.name) {
                fail(format!("{path}.name"), "is used by another field".into());
            }
            text(
                &mut fail,
                &format!("{path}.label"),
                &input.label,
                1,
                80,
                true,
            );
            match (input.kind, input.options.is_empty()) {
                (InputKind::Select, true) => fail(
                    format!("{path}.options"),
                    "a select field needs options".into(),
                ),
                (InputKind::Select, false) if input.options.len() > 50 => {
                    fail(
                        format!("{path}.options"),
                        "must have at most 50 options".into(),
                    );
                }
                (InputKind::Select, false) => {}
                (_, false) => fail(
                    format!("{path}.options"),
                    "only a select field has options".into(),
                ),
                (_, true) => {}
            }
        }
        check_model(
            &mut fail,
            "model",
            self.model.provider,
            &self.model.name,
            self.model.endpoint.as_deref(),
        );
        if let Some(max_output_tokens) = models::output_limit(self.model.provider, &self.model.name)
        {
            let parameters = &self.model.parameters;
            if parameters
                .temperature
                .is_some_and(|t| !(0.0..=2.0).contains(&t))
            {
                fail(
                    "model.parameters.temperature".into(),
                    "must be 0 to 2".into(),
                );
            }
            if parameters.top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
                fail(
                    "model.parameters.top_p".into(),
                    "must be above 0 and at most 1".into(),
                );
            }
            if parameters
                .max_tokens
                .is_some_and(|m| m == 0 || m > max_output_tokens)
            {
                fail(
                    "model.parameters.max_tokens".into(),
                    format!("must be 1 to {max_output_tokens} for {}", self.model.name),
                );
            }
        }
        if self.model.fallbacks.len() > MAX_FALLBACKS {
            fail(
                "model.fallbacks".into(),
                format!("must have at most {MAX_FALLBACKS} models"),
            );
        }
        for (index, fallback) in self.model.fallbacks.iter().enumerate() {
            check_model(
                &mut fail,
                &format!("model.fallbacks[{index}]"),
                fallback.provider,
                &fallback.name,
                fallback.endpoint.as_deref(),
            );
        }
        for (field, message) in super::agent_tools::check_tools(&self.tools) {
            fail(field, message);
        }
        if !self.knowledge.is_empty() {
            fail(
                "knowledge".into(),
                "knowledge is not supported yet; send an empty list".into(),
            );
        }
        if self.price_per_run > Credits::MAX_PRICE {
            fail(
                "price_per_run".into(),
                format!("must be at most {} credits", Credits::MAX_PRICE),
            );
        }
        errors
    }

    /// The text keyword search indexes and the embedder reads.
    pub fn searchable_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.name,
            self.summary,
            self.tags.join(" "),
            self.description
        )
    }
}

fn text(
    fail: &mut impl FnMut(String, String),
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    single_line_ok: bool,
) {
    let chars = value.chars().count();
    if min > 0 && value.trim().is_empty() {
        fail(field.to_owned(), "is required".into());
    } else if chars > max {
        fail(
            field.to_owned(),
            format!("must be at most {max} characters"),
        );
    } else if single_line_ok
        && value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        fail(
            field.to_owned(),
            "must not contain control characters".into(),
        );
    }
}

fn check_model(
    fail: &mut impl FnMut(String, String),
    field: &str,
    provider: models::Provider,
    name: &str,
    endpoint: Option<&str>,
) {
    if provider == models::Provider::OpenaiCompatible {
        let endpoint_ok = endpoint.is_some_and(|endpoint| {
            (1..=40).contains(&endpoint.len())
                && endpoint
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if !endpoint_ok {
            fail(
                format!("{field}.endpoint"),
                "name one of your OpenAI-compatible endpoints (POST /v1/me/provider-keys)".into(),
            );
        }
        let name_ok = (1..=200).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c));
        if !name_ok {
            fail(
                format!("{field}.name"),
                "must be 1 to 200 letters, digits, dots, colons, slashes, underscores or hyphens"
                    .into(),
            );
        }
        return;
    }
    if endpoint.is_some() {
        fail(
            format!("{field}.endpoint"),
            "only an openai_compatible model names an endpoint".into(),
        );
    }
    if models::find_model(provider, name).is_none() {
        let known: Vec<&str> = models::MODELS
            .iter()
            .filter(|model| model.provider == provider)
            .map(|model| model.name)
            .collect();
        fail(
            format!("{field}.name"),
            format!(
                "`{name}` is not a {} model Agora knows; use one of: {}",
                provider.as_str(),
                known.join(", ")
            ),
        );
    }
}

fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    primary_ok
        && parts.all(|part| {
            (2..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        && tag.len() <= 35
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn example() -> AgentSpec {
        serde_json::from_value(serde_json::json!({
            "format": "agora.agent/v1",
            "name": "Contract Reviewer",
            "summary": "Finds risky clauses in contracts.",
            "description": "# Contract Reviewer\nPaste a contract.",
            "category": "legal",
            "tags": ["contracts", "legal"],
            "language": "en",
            "examples": { "prompts": ["Review this NDA"], "conversations": [[
                { "role": "user", "content": "Is clause 4 risky?" },
                { "role": "assistant", "content": "Yes: it is unlimited." }
            ]]},
            "system_prompt": "You are a careful lawyer.",
            "inputs": [{ "name": "contract", "label": "Contract", "type": "long_text", "required": true }],
            "model": { "provider": "openai", "name": "gpt-4o-mini", "parameters": { "temperature": 0.2, "max_tokens": 1024 },
                       "fallbacks": [{ "provider": "anthropic", "name": "claude-3-5-haiku-latest" }] },
            "price_per_run": "0.05",
            "licence": "sealed"
        }))
        .unwrap()
    }

    #[test]
    fn a_complete_spec_is_valid_and_round_trips() {
        let spec = example();
        assert_eq!(spec.validate(), Vec::new());
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["format"], "agora.agent/v1");
        assert_eq!(json["price_per_run"], "0.05");
        assert_eq!(serde_json::from_value::<AgentSpec>(json).unwrap(), spec);
    }

    #[test]
    fn every_broken_rule_is_reported_with_its_path() {
        let mut spec = example();
        spec.name = " ".into();
        spec.tags = vec!["Bad Tag".into(), "ok".into(), "ok".into()];
        spec.language = "english".into();
        spec.model.name = "gpt-9".into();
        spec.model.fallbacks[0].name = "claude-0".into();
        spec.inputs[0].options = vec!["x".into()];
        spec.tools = vec![
            AgentTool::Builtin {
                name: crate::domain::agent_tools::BuiltinTool::CurrentTime,
            };
            2
        ];
        spec.system_prompt = "x".repeat(MAX_SYSTEM_PROMPT_CHARS + 1);
        let fields: Vec<String> = spec.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "system_prompt",
                "tags[0]",
                "tags",
                "language",
                "inputs[0].options",
                "model.name",
                "model.fallbacks[0].name",
                "tools[1]"
            ]
        );
    }

    #[test]
    fn model_parameters_are_bounded_by_the_model() {
        let mut spec = example();
        spec.model.parameters = ModelParameters {
            temperature: Some(2.5),
            top_p: Some(0.0),
            max_tokens: Some(1_000_000),
        };
        let fields: Vec<String> = spec.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "model.parameters.temperature",
                "model.parameters.top_p",
                "model.parameters.max_tokens"
            ]
        );
    }

    #[test]
    fn unknown_fields_and_other_formats_are_refused() {
        let mut json = serde_json::to_value(example()).unwrap();
        json["owner_id"] = "x".into();
        assert!(serde_json::from_value::<AgentSpec>(json.clone()).is_err());
        json.as_object_mut().unwrap().remove("owner_id");
        json["format"] = "agora.agent/v2".into();
        assert!(serde_json::from_value::<AgentSpec>(json).is_err());
    }
}
