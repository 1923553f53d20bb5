//! Templates: text with `{{ reference }}` placeholders, where a reference is
//! `inputs.<name>`, `steps.<id>.output` (then `.field` or `.0` into JSON values) or,
//! inside a map, `item`; rendered over a [`Scope`] of the run's values, and the
//! condition operators they are compared with.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{MAX_TEMPLATE_CHARS, Operator};

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

    pub(super) fn literal_chars(&self) -> u64 {
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

#[cfg(test)]
mod fuzz {
    //! Templates are written by users: any text parses or is refused, and renders or is
    //! refused, without a panic.
    use proptest::prelude::*;

    use super::*;

    fn scope_values() -> BTreeMap<String, Value> {
        BTreeMap::from([
            (
                "a".to_owned(),
                serde_json::json!({"b": [1, {"c": "d"}], "e": null}),
            ),
            ("text".to_owned(), Value::String("x".repeat(10))),
        ])
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_and_renders_or_is_refused(
            text in "([a-z .{}_0-9-]|\\{\\{|\\}\\}|inputs\\.|steps\\.|output|item|\\.0|\\.b|[\\PC]){0,120}"
        ) {
            let values = scope_values();
            let item = serde_json::json!([1, 2, {"k": "v"}]);
            let scope = Scope { inputs: &values, outputs: &values, item: Some(&item) };
            if let Ok(template) = Template::parse(&text) {
                let _ = template.render(&scope);
            }
            let _ = Reference::parse(&text);
        }
    }
}
