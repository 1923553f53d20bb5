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

mod bounds;
mod plan;
mod template;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use self::{
    plan::WorkflowPlan,
    template::{Reference, Scope, Template, TemplatePart, as_json, evaluate},
};

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

impl WorkflowSpec {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.id == id)
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

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
