//! A run's inputs checked against the declared ones, and upper bounds of the size of every
//! value a run can produce, which bound the worst-case cost of the prompts made from them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    Action, DEFAULT_INPUT_MAX_CHARS, InputType, Reference, Step, Template, WorkflowPlan,
    WorkflowSpec, plan::ValueType,
};
use crate::domain::FieldError;

impl WorkflowSpec {
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
