//! The workflow definition, format `agora.workflow/v1`: a DAG of steps, each running a
//! marketplace agent pinned to a version or a small built-in transform, with inputs
//! templated from the workflow's inputs and earlier steps' outputs. Its JSON Schema is
//! published at `docs/schemas/agora.workflow.v1.json`.
//!
//! [`WorkflowSpec::plan`] checks everything that needs no database — shapes, references,
//! cycles, types, limits — and reports every failure at once with its JSON path; the
//! workflow service adds the checks that need the catalog (agents, versions, access,
//! agents' input fields) and the worst-case cost.
//!
//! Templates are deliberately tiny: text with `{{ reference }}` placeholders, where a
//! reference is `inputs.<name>`, `steps.<id>.output` (then `.field` or `.0` into JSON
//! values) or, inside a map, `item`. Nothing else can be named, so a template cannot reach
//! configuration, the environment or another run.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FieldError;

pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_SUMMARY_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
pub const MAX_STEPS: usize = 50;
pub const MAX_INPUTS: usize = 20;
pub const MAX_OUTPUTS: usize = 20;
pub const MAX_TEMPLATE_CHARS: usize = 20_000;
/// The most items one map step may run over (its `max_items` may be lower).
pub const MAX_MAP_ITEMS: u32 = 1_000;
pub const MAX_MAP_CONCURRENCY: u32 = 10;
/// The size a text, list or object input may have when it does not say (`max_chars`).
pub const DEFAULT_INPUT_MAX_CHARS: u32 = 4_000;
pub const MAX_INPUT_MAX_CHARS: u32 = 100_000;

/// The format tag every workflow carries.
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
pub enum WorkflowFormat {
    #[default]
    #[serde(rename = "agora.workflow/v1")]
    V1,
}

/// A workflow definition (`agora.workflow/v1`).
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Agora workflow definition", extend("$id" = "https://agora.dev/schemas/agora.workflow.v1.json"))]
pub struct WorkflowSpec {
    /// Always `agora.workflow/v1`.
    #[serde(default)]
    pub format: WorkflowFormat,
    /// 1 to 80 characters.
    pub name: String,
    /// One line for listings; 1 to 200 characters.
    pub summary: String,
    /// Markdown, up to 20,000 characters.
    #[serde(default)]
    pub description: String,
    /// Up to 10 tags, each 2 to 32 lower-case letters, digits or hyphens.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What a run is given; up to 20.
    #[serde(default)]
    pub inputs: Vec<WorkflowInput>,
    /// 1 to 50 steps; their order does not matter, references decide it.
    pub steps: Vec<Step>,
    /// What a finished run returns: name → template. Up to 20.
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
}

/// A typed input of a workflow.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct WorkflowInput {
    /// An identifier: lower-case letters, digits and underscores, starting with a letter.
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(rename = "type")]
    pub kind: InputType,
    #[serde(default = "yes")]
    pub required: bool,
    /// The largest text (or JSON text of a list or object) accepted; 4,000 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
}

fn yes() -> bool {
    true
}

/// The type of a workflow input.
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
pub enum InputType {
    Text,
    Number,
    Boolean,
    List,
    Object,
}

/// One step. It has an `id` and exactly one of `agent`, `template`, `extract`,
/// `condition` or `map`.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// An identifier unique in the workflow: lower-case letters, digits and underscores.
    pub id: String,
    /// Run only when this reference (a condition step's output or a boolean input) is
    /// true; otherwise the step and the steps that use it are skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<ExtractStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<MapStep>,
}

/// Runs a marketplace agent, pinned to a published version. Its output is the answer text.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct AgentCall {
    /// `handle/slug`.
    #[serde(rename = "ref")]
    pub agent: String,
    /// A published version of that agent.
    pub version: i32,
    /// The user message, a template.
    pub prompt: String,
    /// The agent's input fields: name → template.
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
}

/// Renders a template; its output is text.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct TemplateStep {
    pub text: String,
}

/// Reads a value out of JSON: `from` is a reference (text is parsed as JSON), `path` a
/// JSON Pointer (RFC 6901) such as `/items/0/title`. Its output is that value.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ExtractStep {
    pub from: String,
    pub path: String,
}

/// Compares two rendered templates; its output is a boolean for `when`.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ConditionStep {
    pub value: String,
    pub operator: Operator,
    /// What `value` is compared with (not used by `is_empty` and `not_empty`).
    #[serde(default)]
    pub compare: String,
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
pub enum Operator {
    Equals,
    NotEquals,
    Contains,
    IsEmpty,
    NotEmpty,
}

/// Runs an agent once per item of a list, at most `concurrency` at a time; `item` names
/// the current item in its templates. Its output is the list of answers, in order.
#[derive(
    Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct MapStep {
    /// A reference to a list (text is parsed as a JSON list).
    pub over: String,
    pub agent: AgentCall,
    /// 1 to 10; 4 by default.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// 1 to 1,000; 100 by default. A longer list fails the step; the worst-case cost
    /// assumes this many items.
    #[serde(default = "default_max_items")]
    pub max_items: u32,
}

fn default_concurrency() -> u32 {
    4
}

fn default_max_items() -> u32 {
    100
}

/// What a step does, borrowed from its one action field.
#[derive(Clone, Copy, Debug)]
pub enum Action<'a> {
    Agent(&'a AgentCall),
    Template(&'a TemplateStep),
    Extract(&'a ExtractStep),
    Condition(&'a ConditionStep),
    Map(&'a MapStep),
}

impl Step {
    /// The step's action, when exactly one is given.
    pub fn action(&self) -> Option<Action<'_>> {
        let actions = [
            self.agent.as_ref().map(Action::Agent),
            self.template.as_ref().map(Action::Template),
            self.extract.as_ref().map(Action::Extract),
            self.condition.as_ref().map(Action::Condition),
            self.map.as_ref().map(Action::Map),
        ];
        let mut given = actions.into_iter().flatten();
        match (given.next(), given.next()) {
            (Some(action), None) => Some(action),
            _ => None,
        }
    }

    /// The agent this step runs, if any (directly or per item).
    pub fn agent_call(&self) -> Option<&AgentCall> {
        match self.action()? {
            Action::Agent(call) => Some(call),
            Action::Map(map) => Some(&map.agent),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self.action() {
            Some(Action::Agent(_)) => "agent",
            Some(Action::Template(_)) => "template",
            Some(Action::Extract(_)) => "extract",
            Some(Action::Condition(_)) => "condition",
            Some(Action::Map(_)) => "map",
            None => "invalid",
        }
    }
}

/// The type of a value a reference names, as far as it is known before a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    Text,
    Number,
    Boolean,
    List,
    Object,
    /// Extracted JSON: known only at run time.
    Any,
}

impl ValueType {
    fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "a number",
            Self::Boolean => "a boolean",
            Self::List => "a list",
            Self::Object => "an object",
            Self::Any => "any JSON value",
        }
    }

    fn from_input(kind: InputType) -> Self {
        match kind {
            InputType::Text => Self::Text,
            InputType::Number => Self::Number,
            InputType::Boolean => Self::Boolean,
            InputType::List => Self::List,
            InputType::Object => Self::Object,
        }
    }
}

/// What a reference names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    Input {
        name: String,
        path: Vec<String>,
    },
    StepOutput {
        step: String,
        path: Vec<String>,
    },
    /// The current item of a map.
    Item {
        path: Vec<String>,
    },
}

impl Reference {
    /// Parses `inputs.x`, `steps.y.output.z` or `item.z`; the error says what is allowed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("is empty; name inputs.<name>, steps.<id>.output or item".into());
        }
        let parts: Vec<&str> = text.split('.').collect();
        if parts.iter().any(|part| {
            part.is_empty()
                || !part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }) {
            return Err(format!(
                "`{text}` is not a reference: use dotted names of letters, digits, `_` and `-`, such as steps.summary.output"
            ));
        }
        let path = |from: usize| parts[from..].iter().map(|s| (*s).to_owned()).collect();
        match parts.as_slice() {
            ["inputs", name, ..] => Ok(Self::Input {
                name: (*name).to_owned(),
                path: path(2),
            }),
            ["steps", step, "output", ..] => Ok(Self::StepOutput {
                step: (*step).to_owned(),
                path: path(3),
            }),
            ["steps", step, ..] => Err(format!(
                "`{text}`: a step is read through its output, as steps.{step}.output"
            )),
            ["item", ..] => Ok(Self::Item { path: path(1) }),
            [root, ..] => Err(format!(
                "`{root}` is out of reach: a template may name only inputs.<name>, steps.<id>.output and, inside a map, item"
            )),
            [] => Err("is empty".into()),
        }
    }

    fn path(&self) -> &[String] {
        match self {
            Self::Input { path, .. } | Self::StepOutput { path, .. } | Self::Item { path } => path,
        }
    }
}

/// A parsed template: literal text and references, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplatePart {
    Text(String),
    Value(Reference),
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > MAX_TEMPLATE_CHARS {
            return Err(format!("is longer than {MAX_TEMPLATE_CHARS} characters"));
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(TemplatePart::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| "has a `{{` without its `}}`".to_owned())?;
            parts.push(TemplatePart::Value(Reference::parse(&after[..close])?));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.parts.iter().filter_map(|part| match part {
            TemplatePart::Value(reference) => Some(reference),
            TemplatePart::Text(_) => None,
        })
    }

    /// The one reference, when the template is nothing else (its value keeps its type).
    pub fn sole_reference(&self) -> Option<&Reference> {
        match self.parts.as_slice() {
            [TemplatePart::Value(reference)] => Some(reference),
            _ => None,
        }
    }

    fn literal_chars(&self) -> u64 {
        self.parts
            .iter()
            .map(|part| match part {
                TemplatePart::Text(text) => text.len() as u64,
                TemplatePart::Value(_) => 0,
            })
            .sum()
    }

    /// The text, with each reference's value: text as is, anything else as JSON.
    pub fn render(&self, scope: &Scope<'_>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(text) => out.push_str(text),
                TemplatePart::Value(reference) => match scope.resolve(reference)? {
                    Value::String(text) => out.push_str(&text),
                    Value::Null => {}
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        Ok(out)
    }
}

/// The values templates of one step can see at run time.
pub struct Scope<'a> {
    pub inputs: &'a BTreeMap<String, Value>,
    /// Outputs of finished steps (a skipped step's is `null`).
    pub outputs: &'a BTreeMap<String, Value>,
    pub item: Option<&'a Value>,
}

impl Scope<'_> {
    pub fn resolve(&self, reference: &Reference) -> Result<Value, String> {
        let root = match reference {
            Reference::Input { name, .. } => self.inputs.get(name).cloned().unwrap_or(Value::Null),
            Reference::StepOutput { step, .. } => self
                .outputs
                .get(step)
                .cloned()
                .ok_or_else(|| format!("steps.{step}.output is not available yet"))?,
            Reference::Item { .. } => self
                .item
                .cloned()
                .ok_or_else(|| "`item` is only available inside a map".to_owned())?,
        };
        let mut value = root;
        for key in reference.path() {
            value = match value {
                Value::Object(mut fields) => fields.remove(key).unwrap_or(Value::Null),
                Value::Array(mut items) => key
                    .parse::<usize>()
                    .ok()
                    .filter(|index| *index < items.len())
                    .map(|index| items.swap_remove(index))
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            };
        }
        Ok(value)
    }
}

/// A checked workflow: its steps in an order that respects their dependencies.
#[derive(Clone, Debug)]
pub struct WorkflowPlan {
    /// Step indexes, each after every step it depends on.
    pub order: Vec<usize>,
    /// For each step (by index), the ids of the steps it depends on.
    pub needs: Vec<BTreeSet<String>>,
}

impl WorkflowPlan {
    /// The steps that depend on `step`.
    pub fn dependents<'a>(
        &'a self,
        spec: &'a WorkflowSpec,
        step: &'a str,
    ) -> impl Iterator<Item = &'a Step> + 'a {
        spec.steps
            .iter()
            .zip(&self.needs)
            .filter(move |(_, needs)| needs.contains(step))
            .map(|(step, _)| step)
    }

    pub fn needs_of(&self, spec: &WorkflowSpec, step: &str) -> BTreeSet<String> {
        spec.steps
            .iter()
            .position(|candidate| candidate.id == step)
            .and_then(|index| self.needs.get(index).cloned())
            .unwrap_or_default()
    }
}

impl WorkflowSpec {
    /// Checks every rule that needs no database and orders the steps; all failures at
    /// once, each with the JSON path of the step and field.
    pub fn plan(&self) -> Result<WorkflowPlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: String, message: String| errors.push(FieldError { field, message });
        length(&mut fail, "name", &self.name, 1, MAX_NAME_CHARS);
        length(&mut fail, "summary", &self.summary, 1, MAX_SUMMARY_CHARS);
        length(
            &mut fail,
            "description",
            &self.description,
            0,
            MAX_DESCRIPTION_CHARS,
        );
        if self.tags.len() > 10 {
            fail("tags".into(), "has more than 10 tags".into());
        }
        for (index, tag) in self.tags.iter().enumerate() {
            let ok = (2..=32).contains(&tag.len())
                && tag
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                fail(
                    format!("tags[{index}]"),
                    "must be 2 to 32 lower-case letters, digits or hyphens".into(),
                );
            }
        }

        let mut types: BTreeMap<String, ValueType> = BTreeMap::new();
        if self.inputs.len() > MAX_INPUTS {
            fail(
                "inputs".into(),
                format!("has more than {MAX_INPUTS} inputs"),
            );
        }
        let mut input_names = BTreeSet::new();
        for (index, input) in self.inputs.iter().enumerate() {
            if !is_identifier(&input.name) {
                fail(
                    format!("inputs[{index}].name"),
                    "must be 1 to 40 lower-case letters, digits or underscores, starting with a letter".into(),
                );
            }
            if !input_names.insert(input.name.clone()) {
                fail(
                    format!("inputs[{index}].name"),
                    format!("`{}` is used by an earlier input", input.name),
                );
            }
            if let Some(max) = input.max_chars
                && (max == 0 || max > MAX_INPUT_MAX_CHARS)
            {
                fail(
                    format!("inputs[{index}].max_chars"),
                    format!("must be 1 to {MAX_INPUT_MAX_CHARS}"),
                );
            }
        }

        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            fail("steps".into(), format!("must hold 1 to {MAX_STEPS} steps"));
        }
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        for (index, step) in self.steps.iter().enumerate() {
            if !is_identifier(&step.id) {
                fail(
                    format!("steps[{index}].id"),
                    "must be 1 to 40 lower-case letters, digits or underscores, starting with a letter".into(),
                );
            } else if ids.insert(&step.id, index).is_some() {
                fail(
                    format!("steps[{index}].id"),
                    format!("`{}` is the id of an earlier step", step.id),
                );
            }
            if step.action().is_none() {
                fail(
                    format!("steps[{index}]"),
                    "must have exactly one of agent, template, extract, condition or map".into(),
                );
            }
        }

        // Each step's references, parsed, with the field they came from.
        let mut step_refs: Vec<Vec<(String, Reference)>> = Vec::with_capacity(self.steps.len());
        for (index, step) in self.steps.iter().enumerate() {
            let mut refs = Vec::new();
            let mut template = |field: String, text: &str, in_map: bool| match Template::parse(text)
            {
                Ok(parsed) => {
                    for reference in parsed.references() {
                        if matches!(reference, Reference::Item { .. }) && !in_map {
                            fail(
                                field.clone(),
                                "`item` is only available inside a map step's agent".into(),
                            );
                        }
                        refs.push((field.clone(), reference.clone()));
                    }
                }
                Err(message) => fail(field, message),
            };
            let at = |field: &str| format!("steps[{index}].{field}");
            match step.action() {
                Some(Action::Agent(call)) => {
                    agent_call_fields(&mut template, &at("agent"), call, false)
                }
                Some(Action::Template(step)) => template(at("template.text"), &step.text, false),
                Some(Action::Condition(condition)) => {
                    template(at("condition.value"), &condition.value, false);
                    template(at("condition.compare"), &condition.compare, false);
                }
                Some(Action::Map(map)) => {
                    agent_call_fields(&mut template, &at("map.agent"), &map.agent, true)
                }
                Some(Action::Extract(_)) | None => {}
            }
            let mut single = |field: String, text: &str| match Reference::parse(text) {
                Ok(Reference::Item { .. }) => {
                    fail(
                        field,
                        "`item` is only available inside a map step's agent".into(),
                    );
                }
                Ok(reference) => refs.push((field, reference)),
                Err(message) => fail(field, message),
            };
            if let Some(when) = &step.when {
                single(at("when"), when);
            }
            match step.action() {
                Some(Action::Extract(extract)) => {
                    single(at("extract.from"), &extract.from);
                    if !(extract.path.is_empty() || extract.path.starts_with('/')) {
                        fail(
                            at("extract.path"),
                            "must be a JSON Pointer: empty, or starting with `/` (such as /items/0/title)"
                                .into(),
                        );
                    }
                }
                Some(Action::Map(map)) => {
                    single(at("map.over"), &map.over);
                    if !(1..=MAX_MAP_CONCURRENCY).contains(&map.concurrency) {
                        fail(
                            at("map.concurrency"),
                            format!("must be 1 to {MAX_MAP_CONCURRENCY}"),
                        );
                    }
                    if !(1..=MAX_MAP_ITEMS).contains(&map.max_items) {
                        fail(
                            at("map.max_items"),
                            format!("must be 1 to {MAX_MAP_ITEMS} items"),
                        );
                    }
                }
                _ => {}
            }
            step_refs.push(refs);
        }

        // Dependencies, and references to things that do not exist.
        let mut needs: Vec<BTreeSet<String>> = vec![BTreeSet::new(); self.steps.len()];
        for (index, refs) in step_refs.iter().enumerate() {
            for (field, reference) in refs {
                match reference {
                    Reference::Input { name, .. } => {
                        if !input_names.contains(name) {
                            fail(
                                field.clone(),
                                format!("inputs.{name} is not an input of this workflow"),
                            );
                        }
                    }
                    Reference::StepOutput { step, .. } => {
                        if *step == self.steps[index].id {
                            fail(field.clone(), format!("step `{step}` refers to itself"));
                        } else if ids.contains_key(step.as_str()) {
                            needs[index].insert(step.clone());
                        } else {
                            fail(field.clone(), format!("there is no step `{step}`"));
                        }
                    }
                    Reference::Item { .. } => {}
                }
            }
        }

        // Kahn's algorithm; what is left over lies on (or behind) a cycle.
        let mut remaining: Vec<usize> = needs.iter().map(BTreeSet::len).collect();
        let mut ready: Vec<usize> = (0..self.steps.len())
            .filter(|index| remaining[*index] == 0)
            .collect();
        let mut order = Vec::with_capacity(self.steps.len());
        while let Some(index) = ready.pop() {
            order.push(index);
            for (other, other_needs) in needs.iter().enumerate() {
                if other_needs.contains(&self.steps[index].id) {
                    remaining[other] -= 1;
                    if remaining[other] == 0 {
                        ready.push(other);
                    }
                }
            }
        }
        if order.len() < self.steps.len() {
            let stuck: Vec<&str> = (0..self.steps.len())
                .filter(|index| !order.contains(index))
                .map(|index| self.steps[index].id.as_str())
                .collect();
            let first = (0..self.steps.len())
                .find(|index| !order.contains(index))
                .unwrap_or(0);
            fail(
                format!("steps[{first}]"),
                format!(
                    "steps {} depend on each other in a cycle; a workflow must be acyclic",
                    stuck.join(", ")
                ),
            );
        } else {
            // Types, in dependency order, so each step's output type is known when used.
            for input in &self.inputs {
                types.insert(
                    format!("inputs.{}", input.name),
                    ValueType::from_input(input.kind),
                );
            }
            for &index in &order {
                let step = &self.steps[index];
                let type_of = |reference: &Reference| -> Result<ValueType, String> {
                    let (key, path) = match reference {
                        Reference::Input { name, path } => (format!("inputs.{name}"), path),
                        Reference::StepOutput { step, path } => {
                            (format!("steps.{step}.output"), path)
                        }
                        Reference::Item { .. } => return Ok(ValueType::Any),
                    };
                    let base = types.get(&key).copied().unwrap_or(ValueType::Any);
                    if path.is_empty() {
                        return Ok(base);
                    }
                    match base {
                        ValueType::Object | ValueType::List | ValueType::Any => Ok(ValueType::Any),
                        other => Err(format!(
                            "{key} is {}, which has no fields; read JSON out of text with an extract step",
                            other.name()
                        )),
                    }
                };
                for (field, reference) in &step_refs[index] {
                    if let Err(message) = type_of(reference) {
                        fail(field.clone(), message);
                    }
                }
                let at = |field: &str| format!("steps[{index}].{field}");
                if let Some(when) = &step.when
                    && let Ok(reference) = Reference::parse(when)
                    && let Ok(kind) = type_of(&reference)
                    && !matches!(kind, ValueType::Boolean | ValueType::Any)
                {
                    fail(
                        at("when"),
                        format!(
                            "must name a boolean (a condition step's output), not {}",
                            kind.name()
                        ),
                    );
                }
                let output = match step.action() {
                    Some(Action::Agent(_) | Action::Template(_)) | None => ValueType::Text,
                    Some(Action::Condition(_)) => ValueType::Boolean,
                    Some(Action::Map(map)) => {
                        if let Ok(reference) = Reference::parse(&map.over)
                            && let Ok(kind) = type_of(&reference)
                            && !matches!(kind, ValueType::List | ValueType::Any | ValueType::Text)
                        {
                            fail(
                                at("map.over"),
                                format!("must name a list, not {}", kind.name()),
                            );
                        }
                        ValueType::List
                    }
                    Some(Action::Extract(extract)) => {
                        if let Ok(reference) = Reference::parse(&extract.from)
                            && let Ok(kind) = type_of(&reference)
                            && matches!(kind, ValueType::Number | ValueType::Boolean)
                        {
                            fail(
                                at("extract.from"),
                                format!("must name text or JSON to read from, not {}", kind.name()),
                            );
                        }
                        ValueType::Any
                    }
                };
                types.insert(format!("steps.{}.output", step.id), output);
            }
        }

        if self.outputs.len() > MAX_OUTPUTS {
            fail(
                "outputs".into(),
                format!("has more than {MAX_OUTPUTS} outputs"),
            );
        }
        for (name, text) in &self.outputs {
            let field = format!("outputs.{name}");
            if !is_identifier(name) {
                fail(
                    field.clone(),
                    "names must be lower-case letters, digits or underscores".into(),
                );
            }
            match Template::parse(text) {
                Ok(template) => {
                    for reference in template.references() {
                        let known = match reference {
                            Reference::Input { name, .. } => input_names.contains(name),
                            Reference::StepOutput { step, .. } => ids.contains_key(step.as_str()),
                            Reference::Item { .. } => false,
                        };
                        if !known {
                            fail(
                                field.clone(),
                                "names something that is neither an input nor a step of this workflow"
                                    .into(),
                            );
                        }
                    }
                }
                Err(message) => fail(field, message),
            }
        }

        if errors.is_empty() {
            Ok(WorkflowPlan { order, needs })
        } else {
            Err(errors)
        }
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.id == id)
    }

    /// Checks a run's inputs against the declared ones: all failures at once, at
    /// `inputs.<name>`.
    pub fn check_inputs(&self, given: &BTreeMap<String, Value>) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        for name in given.keys() {
            if !self.inputs.iter().any(|input| &input.name == name) {
                errors.push(FieldError {
                    field: format!("inputs.{name}"),
                    message: "is not an input of this workflow".into(),
                });
            }
        }
        for input in &self.inputs {
            let field = format!("inputs.{}", input.name);
            let Some(value) = given.get(&input.name).filter(|value| !value.is_null()) else {
                if input.required {
                    errors.push(FieldError {
                        field,
                        message: "is required".into(),
                    });
                }
                continue;
            };
            let type_ok = match input.kind {
                InputType::Text => value.is_string(),
                InputType::Number => value.is_number(),
                InputType::Boolean => value.is_boolean(),
                InputType::List => value.is_array(),
                InputType::Object => value.is_object(),
            };
            if !type_ok {
                errors.push(FieldError {
                    field,
                    message: format!("must be {}", ValueType::from_input(input.kind).name()),
                });
                continue;
            }
            let max = input.max_chars.unwrap_or(DEFAULT_INPUT_MAX_CHARS) as usize;
            let size = match value {
                Value::String(text) => text.chars().count(),
                other => other.to_string().len(),
            };
            if size > max {
                errors.push(FieldError {
                    field,
                    message: format!("is longer than {max} characters"),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// An upper bound of the size (in bytes, which bounds tokens) of every value a step
    /// can produce, given a bound for each agent step's answer (`answer_bound`, from its
    /// `max_tokens`): what the worst-case cost of a prompt templated from them is
    /// computed with.
    pub fn value_bounds(
        &self,
        plan: &WorkflowPlan,
        answer_bound: impl Fn(&Step) -> u64,
    ) -> BTreeMap<String, u64> {
        let mut bounds = BTreeMap::new();
        for input in &self.inputs {
            let bound = match input.kind {
                InputType::Number | InputType::Boolean => 32,
                _ => u64::from(input.max_chars.unwrap_or(DEFAULT_INPUT_MAX_CHARS)) * 4,
            };
            bounds.insert(format!("inputs.{}", input.name), bound);
        }
        for &index in &plan.order {
            let step = &self.steps[index];
            let bound = match step.action() {
                Some(Action::Agent(_)) | None => answer_bound(step),
                Some(Action::Template(template)) => self.template_bound(&template.text, &bounds),
                Some(Action::Condition(_)) => 5,
                Some(Action::Extract(extract)) => Reference::parse(&extract.from)
                    .map(|reference| reference_bound(&reference, &bounds))
                    .unwrap_or(0),
                Some(Action::Map(map)) => {
                    u64::from(map.max_items).saturating_mul(answer_bound(step).saturating_add(4))
                }
            };
            bounds.insert(format!("steps.{}.output", step.id), bound);
        }
        bounds
    }

    /// An upper bound of a rendered template's size.
    pub fn template_bound(&self, text: &str, bounds: &BTreeMap<String, u64>) -> u64 {
        Template::parse(text)
            .map(|template| {
                template.literal_chars()
                    + template
                        .references()
                        .map(|reference| reference_bound(reference, bounds))
                        .sum::<u64>()
            })
            .unwrap_or(0)
    }

    /// The agents this workflow runs, `handle/slug@version`, each once.
    pub fn agents(&self) -> BTreeSet<(String, i32)> {
        self.steps
            .iter()
            .filter_map(Step::agent_call)
            .map(|call| (call.agent.clone(), call.version))
            .collect()
    }
}

/// The bound of one reference; `item` is bounded by its whole list (never more).
fn reference_bound(reference: &Reference, bounds: &BTreeMap<String, u64>) -> u64 {
    let key = match reference {
        Reference::Input { name, .. } => format!("inputs.{name}"),
        Reference::StepOutput { step, .. } => format!("steps.{step}.output"),
        Reference::Item { .. } => return bounds.get("item").copied().unwrap_or(0),
    };
    bounds.get(&key).copied().unwrap_or(0)
}

fn agent_call_fields(
    template: &mut impl FnMut(String, &str, bool),
    at: &str,
    call: &AgentCall,
    in_map: bool,
) {
    template(format!("{at}.prompt"), &call.prompt, in_map);
    for (name, text) in &call.inputs {
        template(format!("{at}.inputs.{name}"), text, in_map);
    }
}

/// Evaluates a condition over its rendered `value` and `compare`.
pub fn evaluate(operator: Operator, value: &str, compare: &str) -> bool {
    let (value, compare) = (value.trim(), compare.trim());
    match operator {
        Operator::Equals => value == compare,
        Operator::NotEquals => value != compare,
        Operator::Contains => value.contains(compare),
        Operator::IsEmpty => value.is_empty(),
        Operator::NotEmpty => !value.is_empty(),
    }
}

/// Reads `value` as JSON when it is text holding JSON (agents often answer in JSON).
pub fn as_json(value: Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(text.trim()).unwrap_or(Value::String(text)),
        other => other,
    }
}

fn is_identifier(text: &str) -> bool {
    (1..=40).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn length(fail: &mut impl FnMut(String, String), field: &str, text: &str, min: usize, max: usize) {
    let count = text.trim().chars().count();
    if count < min || text.chars().count() > max {
        fail(
            field.to_owned(),
            format!("must be {min} to {max} characters"),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(steps: Value) -> WorkflowSpec {
        serde_json::from_value(json!({
            "name": "Brief",
            "summary": "Summarise then translate",
            "inputs": [{"name": "text", "type": "text"}, {"name": "urgent", "type": "boolean", "required": false}],
            "steps": steps,
            "outputs": {"answer": "{{ steps.last.output }}"}
        }))
        .expect("a well-formed spec")
    }

    fn agent(prompt: &str) -> Value {
        json!({"ref": "ada/summarizer", "version": 1, "prompt": prompt})
    }

    fn errors(spec: &WorkflowSpec) -> Vec<(String, String)> {
        spec.plan()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|error| (error.field, error.message))
            .collect()
    }

    #[test]
    fn steps_run_after_what_they_reference_whatever_their_order() {
        let spec = spec(json!([
            {"id": "last", "agent": agent("Translate: {{ steps.first.output }}")},
            {"id": "first", "agent": agent("Summarise: {{ inputs.text }}")},
        ]));
        let plan = spec.plan().expect("valid");
        let order: Vec<&str> = plan
            .order
            .iter()
            .map(|index| spec.steps[*index].id.as_str())
            .collect();
        assert_eq!(order, ["first", "last"]);
        assert_eq!(
            plan.dependents(&spec, "first")
                .map(|step| step.id.as_str())
                .collect::<Vec<_>>(),
            ["last"]
        );
    }

    #[test]
    fn cycles_self_references_and_dangling_references_point_at_the_step() {
        let cycle = spec(json!([
            {"id": "a", "agent": agent("{{ steps.last.output }}")},
            {"id": "last", "agent": agent("{{ steps.a.output }}")},
        ]));
        let found = errors(&cycle);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "steps[0]");
        assert!(found[0].1.contains("cycle"), "{found:?}");

        let itself = spec(json!([{"id": "last", "agent": agent("{{ steps.last.output }}")}]));
        assert_eq!(
            errors(&itself),
            [(
                "steps[0].agent.prompt".to_owned(),
                "step `last` refers to itself".to_owned()
            )]
        );

        let dangling = spec(
            json!([{"id": "last", "agent": agent("{{ steps.ghost.output }} {{ inputs.nope }}")}]),
        );
        let found = errors(&dangling);
        assert!(found.contains(&(
            "steps[0].agent.prompt".to_owned(),
            "there is no step `ghost`".to_owned()
        )));
        assert!(found.contains(&(
            "steps[0].agent.prompt".to_owned(),
            "inputs.nope is not an input of this workflow".to_owned()
        )));
    }

    #[test]
    fn templates_cannot_reach_outside_inputs_and_step_outputs() {
        for expression in [
            "env.AWS_SECRET_ACCESS_KEY",
            "config.database_url",
            "self",
            "steps.a",
        ] {
            let reaching = spec(
                json!([{"id": "last", "template": {"text": format!("x {{{{ {expression} }}}}")}}]),
            );
            let found = errors(&reaching);
            assert_eq!(found.len(), 1, "{expression}: {found:?}");
            assert_eq!(found[0].0, "steps[0].template.text");
        }
        let unclosed = spec(json!([{"id": "last", "template": {"text": "{{ inputs.text"}}]));
        assert!(errors(&unclosed)[0].1.contains("without its `}}`"));
        let item_outside_map = spec(json!([{"id": "last", "template": {"text": "{{ item }}"}}]));
        assert!(errors(&item_outside_map)[0].1.contains("inside a map"));
    }

    #[test]
    fn types_are_checked_before_anything_runs() {
        let when_text = spec(json!([
            {"id": "first", "agent": agent("{{ inputs.text }}")},
            {"id": "last", "when": "steps.first.output", "agent": agent("again")},
        ]));
        assert!(
            errors(&when_text)
                .iter()
                .any(|(field, message)| field == "steps[1].when"
                    && message.contains("must name a boolean"))
        );

        let map_over_boolean = spec(json!([{
            "id": "last",
            "map": {"over": "inputs.urgent", "agent": agent("{{ item }}")}
        }]));
        assert!(
            errors(&map_over_boolean)
                .iter()
                .any(|(field, _)| field == "steps[0].map.over")
        );

        let field_of_text = spec(json!([
            {"id": "first", "agent": agent("{{ inputs.text }}")},
            {"id": "last", "template": {"text": "{{ steps.first.output.title }}"}},
        ]));
        assert!(errors(&field_of_text)[0].1.contains("extract step"));

        let fine = spec(json!([
            {"id": "first", "agent": agent("{{ inputs.text }}")},
            {"id": "check", "condition": {"value": "{{ steps.first.output }}", "operator": "contains", "compare": "yes"}},
            {"id": "fields", "extract": {"from": "steps.first.output", "path": "/items"}},
            {"id": "last", "when": "steps.check.output", "map": {"over": "steps.fields.output", "agent": agent("{{ item.title }}")}},
        ]));
        assert!(fine.plan().is_ok(), "{:?}", errors(&fine));
    }

    #[test]
    fn limits_and_shapes_name_their_field() {
        let huge_map = spec(json!([{
            "id": "last",
            "map": {"over": "inputs.text", "agent": agent("{{ item }}"), "max_items": 100_000, "concurrency": 0}
        }]));
        let found = errors(&huge_map);
        assert!(
            found
                .iter()
                .any(|(field, _)| field == "steps[0].map.max_items")
        );
        assert!(
            found
                .iter()
                .any(|(field, _)| field == "steps[0].map.concurrency")
        );

        let two_actions =
            spec(json!([{"id": "last", "template": {"text": "a"}, "agent": agent("b")}]));
        assert!(errors(&two_actions)[0].1.contains("exactly one"));

        let duplicate = spec(json!([
            {"id": "last", "template": {"text": "a"}},
            {"id": "last", "template": {"text": "b"}},
        ]));
        assert_eq!(errors(&duplicate)[0].0, "steps[1].id");
    }

    #[test]
    fn run_inputs_are_checked_against_their_declared_types_and_sizes() {
        let spec = spec(json!([{"id": "last", "template": {"text": "{{ inputs.text }}"}}]));
        let given = |value: Value| -> BTreeMap<String, Value> {
            serde_json::from_value(value).expect("an object")
        };
        assert!(spec.check_inputs(&given(json!({"text": "hello"}))).is_ok());
        let found = spec
            .check_inputs(&given(json!({"text": 3, "urgent": "yes", "extra": 1})))
            .expect_err("three errors");
        let fields: Vec<&str> = found.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["inputs.extra", "inputs.text", "inputs.urgent"]);
        let missing = spec.check_inputs(&BTreeMap::new()).expect_err("required");
        assert_eq!(missing[0].message, "is required");
        let long = "x".repeat(DEFAULT_INPUT_MAX_CHARS as usize + 1);
        assert!(spec.check_inputs(&given(json!({"text": long}))).is_err());
    }

    #[test]
    fn templates_render_text_as_is_and_other_values_as_json() {
        let inputs = BTreeMap::from([("text".to_owned(), json!("hi"))]);
        let outputs = BTreeMap::from([(
            "data".to_owned(),
            json!({"items": [{"title": "A"}], "n": 2}),
        )]);
        let scope = Scope {
            inputs: &inputs,
            outputs: &outputs,
            item: Some(&json!({"title": "B"})),
        };
        let template = Template::parse(
            "{{inputs.text}} {{ steps.data.output.items.0.title }} {{ steps.data.output.n }} {{ item.title }} {{ steps.data.output.items }}{{ inputs.missing }}",
        )
        .expect("parses");
        assert_eq!(
            template.render(&scope).expect("renders"),
            r#"hi A 2 B [{"title":"A"}]"#
        );
    }

    #[test]
    fn value_bounds_grow_along_the_graph() {
        let spec = spec(json!([
            {"id": "first", "agent": agent("{{ inputs.text }}")},
            {"id": "joined", "template": {"text": "ab{{ steps.first.output }}{{ steps.first.output }}"}},
            {"id": "last", "map": {"over": "steps.joined.output", "agent": agent("{{ item }}"), "max_items": 3}},
        ]));
        let plan = spec.plan().expect("valid");
        let bounds = spec.value_bounds(&plan, |_| 100);
        assert_eq!(bounds["inputs.text"], 16_000);
        assert_eq!(bounds["steps.joined.output"], 202);
        assert_eq!(bounds["steps.last.output"], 3 * 104);
    }
}
