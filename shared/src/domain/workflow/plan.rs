//! [`WorkflowSpec::plan`]: every rule that needs no database, checked in passes — the
//! listing, the inputs, the steps' ids and shapes, their references, the dependencies they
//! make, an order without cycles, the types flowing along it, and the outputs — with every
//! failure reported at once at its JSON path.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Action, AgentCall, InputType, MAX_DESCRIPTION_CHARS, MAX_INPUT_MAX_CHARS, MAX_INPUTS,
    MAX_MAP_CONCURRENCY, MAX_MAP_ITEMS, MAX_NAME_CHARS, MAX_OUTPUTS, MAX_STEPS, MAX_SUMMARY_CHARS,
    Reference, Step, Template, WorkflowSpec,
};
use crate::domain::FieldError;

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
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "a number",
            Self::Boolean => "a boolean",
            Self::List => "a list",
            Self::Object => "an object",
            Self::Any => "any JSON value",
        }
    }

    pub(super) fn from_input(kind: InputType) -> Self {
        match kind {
            InputType::Text => Self::Text,
            InputType::Number => Self::Number,
            InputType::Boolean => Self::Boolean,
            InputType::List => Self::List,
            InputType::Object => Self::Object,
        }
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

fn is_identifier(text: &str) -> bool {
    (1..=40).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A step's references, each with the field it came from.
type StepReferences = Vec<Vec<(String, Reference)>>;

impl WorkflowSpec {
    /// Checks every rule that needs no database and orders the steps; all failures at
    /// once, each with the JSON path of the step and field.
    pub fn plan(&self) -> Result<WorkflowPlan, Vec<FieldError>> {
        let mut findings = Findings::default();
        findings.listing(self);
        let input_names = findings.inputs(self);
        let ids = findings.step_ids(self);
        let references = findings.references(self);
        let needs = findings.dependencies(self, &references, &input_names, &ids);
        let order = match order(self, &needs) {
            Ok(order) => {
                findings.types(self, &order, &references);
                order
            }
            Err(cycle) => {
                findings.errors.push(cycle);
                Vec::new()
            }
        };
        findings.outputs(self, &input_names, &ids);
        if findings.errors.is_empty() {
            Ok(WorkflowPlan { order, needs })
        } else {
            Err(findings.errors)
        }
    }
}

/// What the passes found wrong, in the order they found it.
#[derive(Default)]
struct Findings {
    errors: Vec<FieldError>,
}

impl Findings {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn length(&mut self, field: &str, text: &str, min: usize, max: usize) {
        let count = text.trim().chars().count();
        if count < min || text.chars().count() > max {
            self.fail(field, format!("must be {min} to {max} characters"));
        }
    }

    /// Name, summary, description and tags.
    fn listing(&mut self, spec: &WorkflowSpec) {
        self.length("name", &spec.name, 1, MAX_NAME_CHARS);
        self.length("summary", &spec.summary, 1, MAX_SUMMARY_CHARS);
        self.length("description", &spec.description, 0, MAX_DESCRIPTION_CHARS);
        if spec.tags.len() > 10 {
            self.fail("tags", "has more than 10 tags");
        }
        for (index, tag) in spec.tags.iter().enumerate() {
            let ok = (2..=32).contains(&tag.len())
                && tag
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                self.fail(
                    format!("tags[{index}]"),
                    "must be 2 to 32 lower-case letters, digits or hyphens",
                );
            }
        }
    }

    /// The declared inputs; returns their names.
    fn inputs(&mut self, spec: &WorkflowSpec) -> BTreeSet<String> {
        if spec.inputs.len() > MAX_INPUTS {
            self.fail("inputs", format!("has more than {MAX_INPUTS} inputs"));
        }
        let mut names = BTreeSet::new();
        for (index, input) in spec.inputs.iter().enumerate() {
            if !is_identifier(&input.name) {
                self.fail(
                    format!("inputs[{index}].name"),
                    "must be 1 to 40 lower-case letters, digits or underscores, starting with a letter",
                );
            }
            if !names.insert(input.name.clone()) {
                self.fail(
                    format!("inputs[{index}].name"),
                    format!("`{}` is used by an earlier input", input.name),
                );
            }
            if let Some(max) = input.max_chars
                && (max == 0 || max > MAX_INPUT_MAX_CHARS)
            {
                self.fail(
                    format!("inputs[{index}].max_chars"),
                    format!("must be 1 to {MAX_INPUT_MAX_CHARS}"),
                );
            }
        }
        names
    }

    /// The steps' count, ids and shapes; returns the index of each id.
    fn step_ids<'a>(&mut self, spec: &'a WorkflowSpec) -> BTreeMap<&'a str, usize> {
        if spec.steps.is_empty() || spec.steps.len() > MAX_STEPS {
            self.fail("steps", format!("must hold 1 to {MAX_STEPS} steps"));
        }
        let mut ids = BTreeMap::new();
        for (index, step) in spec.steps.iter().enumerate() {
            if !is_identifier(&step.id) {
                self.fail(
                    format!("steps[{index}].id"),
                    "must be 1 to 40 lower-case letters, digits or underscores, starting with a letter",
                );
            } else if ids.insert(step.id.as_str(), index).is_some() {
                self.fail(
                    format!("steps[{index}].id"),
                    format!("`{}` is the id of an earlier step", step.id),
                );
            }
            if step.action().is_none() {
                self.fail(
                    format!("steps[{index}]"),
                    "must have exactly one of agent, template, extract, condition or map",
                );
            }
        }
        ids
    }

    /// Each step's references, parsed, with the field they came from, and the limits of
    /// its extract and map settings.
    fn references(&mut self, spec: &WorkflowSpec) -> StepReferences {
        let mut all = Vec::with_capacity(spec.steps.len());
        for (index, step) in spec.steps.iter().enumerate() {
            let mut references = Vec::new();
            let at = |field: &str| format!("steps[{index}].{field}");
            let mut template = |field: String, text: &str, in_map: bool| match Template::parse(text)
            {
                Ok(parsed) => {
                    for reference in parsed.references() {
                        if matches!(reference, Reference::Item { .. }) && !in_map {
                            self.fail(
                                field.clone(),
                                "`item` is only available inside a map step's agent",
                            );
                        }
                        references.push((field.clone(), reference.clone()));
                    }
                }
                Err(message) => self.fail(field, message),
            };
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
                    self.fail(field, "`item` is only available inside a map step's agent");
                }
                Ok(reference) => references.push((field, reference)),
                Err(message) => self.fail(field, message),
            };
            if let Some(when) = &step.when {
                single(at("when"), when);
            }
            match step.action() {
                Some(Action::Extract(extract)) => {
                    single(at("extract.from"), &extract.from);
                    if !(extract.path.is_empty() || extract.path.starts_with('/')) {
                        self.fail(
                            at("extract.path"),
                            "must be a JSON Pointer: empty, or starting with `/` (such as /items/0/title)",
                        );
                    }
                }
                Some(Action::Map(map)) => {
                    single(at("map.over"), &map.over);
                    if !(1..=MAX_MAP_CONCURRENCY).contains(&map.concurrency) {
                        self.fail(
                            at("map.concurrency"),
                            format!("must be 1 to {MAX_MAP_CONCURRENCY}"),
                        );
                    }
                    if !(1..=MAX_MAP_ITEMS).contains(&map.max_items) {
                        self.fail(
                            at("map.max_items"),
                            format!("must be 1 to {MAX_MAP_ITEMS} items"),
                        );
                    }
                }
                _ => {}
            }
            all.push(references);
        }
        all
    }

    /// The steps each step needs, and the references to things that do not exist.
    fn dependencies(
        &mut self,
        spec: &WorkflowSpec,
        references: &StepReferences,
        input_names: &BTreeSet<String>,
        ids: &BTreeMap<&str, usize>,
    ) -> Vec<BTreeSet<String>> {
        let mut needs = vec![BTreeSet::new(); spec.steps.len()];
        for (index, step_references) in references.iter().enumerate() {
            for (field, reference) in step_references {
                match reference {
                    Reference::Input { name, .. } => {
                        if !input_names.contains(name) {
                            self.fail(
                                field.clone(),
                                format!("inputs.{name} is not an input of this workflow"),
                            );
                        }
                    }
                    Reference::StepOutput { step, .. } => {
                        if *step == spec.steps[index].id {
                            self.fail(field.clone(), format!("step `{step}` refers to itself"));
                        } else if ids.contains_key(step.as_str()) {
                            needs[index].insert(step.clone());
                        } else {
                            self.fail(field.clone(), format!("there is no step `{step}`"));
                        }
                    }
                    Reference::Item { .. } => {}
                }
            }
        }
        needs
    }

    /// The type of every value along the order, so each step's output type is known when
    /// a later step uses it; references into values without fields, `when`s that are not
    /// booleans, maps over what is not a list, extracts from numbers are refused.
    fn types(&mut self, spec: &WorkflowSpec, order: &[usize], references: &StepReferences) {
        let mut types: BTreeMap<String, ValueType> = BTreeMap::new();
        for input in &spec.inputs {
            types.insert(
                format!("inputs.{}", input.name),
                ValueType::from_input(input.kind),
            );
        }
        for &index in order {
            let step = &spec.steps[index];
            let type_of = |reference: &Reference| -> Result<ValueType, String> {
                let (key, path) = match reference {
                    Reference::Input { name, path } => (format!("inputs.{name}"), path),
                    Reference::StepOutput { step, path } => (format!("steps.{step}.output"), path),
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
            for (field, reference) in &references[index] {
                if let Err(message) = type_of(reference) {
                    self.fail(field.clone(), message);
                }
            }
            let at = |field: &str| format!("steps[{index}].{field}");
            if let Some(when) = &step.when
                && let Ok(reference) = Reference::parse(when)
                && let Ok(kind) = type_of(&reference)
                && !matches!(kind, ValueType::Boolean | ValueType::Any)
            {
                self.fail(
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
                        self.fail(
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
                        self.fail(
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

    /// The named outputs: names, and templates over inputs and steps only.
    fn outputs(
        &mut self,
        spec: &WorkflowSpec,
        input_names: &BTreeSet<String>,
        ids: &BTreeMap<&str, usize>,
    ) {
        if spec.outputs.len() > MAX_OUTPUTS {
            self.fail("outputs", format!("has more than {MAX_OUTPUTS} outputs"));
        }
        for (name, text) in &spec.outputs {
            let field = format!("outputs.{name}");
            if !is_identifier(name) {
                self.fail(
                    field.clone(),
                    "names must be lower-case letters, digits or underscores",
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
                            self.fail(
                                field.clone(),
                                "names something that is neither an input nor a step of this workflow",
                            );
                        }
                    }
                }
                Err(message) => self.fail(field, message),
            }
        }
    }
}

/// The steps in an order where each comes after all it needs (Kahn's algorithm), or the
/// failure naming the steps left over, which lie on (or behind) a cycle.
fn order(spec: &WorkflowSpec, needs: &[BTreeSet<String>]) -> Result<Vec<usize>, FieldError> {
    let mut remaining: Vec<usize> = needs.iter().map(BTreeSet::len).collect();
    let mut ready: Vec<usize> = (0..spec.steps.len())
        .filter(|index| remaining[*index] == 0)
        .collect();
    let mut order = Vec::with_capacity(spec.steps.len());
    while let Some(index) = ready.pop() {
        order.push(index);
        for (other, other_needs) in needs.iter().enumerate() {
            if other_needs.contains(&spec.steps[index].id) {
                remaining[other] -= 1;
                if remaining[other] == 0 {
                    ready.push(other);
                }
            }
        }
    }
    if order.len() == spec.steps.len() {
        return Ok(order);
    }
    let stuck: Vec<&str> = (0..spec.steps.len())
        .filter(|index| !order.contains(index))
        .map(|index| spec.steps[index].id.as_str())
        .collect();
    let first = (0..spec.steps.len())
        .find(|index| !order.contains(index))
        .unwrap_or(0);
    Err(FieldError::new(
        format!("steps[{first}]"),
        format!(
            "steps {} depend on each other in a cycle; a workflow must be acyclic",
            stuck.join(", ")
        ),
    ))
}
