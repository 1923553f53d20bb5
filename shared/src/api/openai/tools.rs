//! Client tools on the Chat Completions surface: the caller's `tools` and `tool_choice`
//! go to the agent's model, and its calls come back as OpenAI `tool_calls`, whole and
//! streamed, so agent frameworks drive Agora's agents with tools of their own. The caller
//! runs its tools and sends the results back as `tool` messages.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    Error,
    domain::{
        agent_tools::valid_tool_name,
        llm::{ToolCall, ToolChoice, ToolSpec},
    },
};

/// The most tools one request may offer (OpenAI's own limit).
pub const MAX_TOOLS: usize = 128;
/// The longest tool description, in characters.
const MAX_DESCRIPTION_CHARS: usize = 4_096;
/// The most bytes of all tools' definitions together (their schemas are sent to the model
/// and billed as prompt).
const MAX_TOOLS_BYTES: usize = 100_000;

/// A tool the caller offers: a function with a JSON Schema for its arguments.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatTool {
    /// Only `function`.
    #[serde(rename = "type")]
    pub kind: String,
    pub function: ChatFunction,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatFunction {
    /// 1 to 64 letters, digits, `_` or `-`.
    pub name: String,
    pub description: Option<String>,
    /// A JSON Schema object; no parameters when absent.
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<serde_json::Value>,
    /// Accepted; the schema is passed to the model as it is.
    pub strict: Option<bool>,
}

/// A tool call, in a request's assistant message or in an answer.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ChatToolCall {
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    pub function: ChatFunctionCall,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ChatFunctionCall {
    pub name: String,
    /// The arguments as JSON text, as the model wrote them: check them before use.
    pub arguments: String,
}

impl From<&ToolCall> for ChatToolCall {
    fn from(call: &ToolCall) -> Self {
        Self {
            id: call.id.clone(),
            kind: "function".into(),
            function: ChatFunctionCall {
                name: call.name.clone(),
                arguments: call.arguments.clone(),
            },
        }
    }
}

/// The offered tools, checked, as the run path takes them.
pub fn tool_specs(tools: &[ChatTool]) -> Result<Vec<ToolSpec>, Error> {
    if tools.len() > MAX_TOOLS {
        return Err(Error::invalid(
            "tools",
            format!("must have at most {MAX_TOOLS} tools"),
        ));
    }
    let mut specs: Vec<ToolSpec> = Vec::with_capacity(tools.len());
    let mut bytes = 0usize;
    for (index, tool) in tools.iter().enumerate() {
        let field = |name: &str| format!("tools[{index}].{name}");
        if tool.kind != "function" {
            return Err(Error::invalid(field("type"), "must be `function`"));
        }
        let function = &tool.function;
        if !valid_tool_name(&function.name) {
            return Err(Error::invalid(
                field("function.name"),
                "must be 1 to 64 letters, digits, `_` or `-`",
            ));
        }
        if specs.iter().any(|spec| spec.name == function.name) {
            return Err(Error::invalid(
                field("function.name"),
                format!("`{}` is offered twice", function.name),
            ));
        }
        let description = function.description.clone().unwrap_or_default();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Error::invalid(
                field("function.description"),
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        let parameters = match &function.parameters {
            None => serde_json::json!({ "type": "object", "properties": {} }),
            Some(schema @ serde_json::Value::Object(_)) => schema.clone(),
            Some(_) => {
                return Err(Error::invalid(
                    field("function.parameters"),
                    "must be a JSON Schema object",
                ));
            }
        };
        bytes = bytes
            .saturating_add(function.name.len())
            .saturating_add(description.len())
            .saturating_add(parameters.to_string().len());
        specs.push(ToolSpec {
            name: function.name.clone(),
            description,
            parameters,
        });
    }
    if bytes > MAX_TOOLS_BYTES {
        return Err(Error::invalid(
            "tools",
            format!("the tools' definitions must be at most {MAX_TOOLS_BYTES} bytes in all"),
        ));
    }
    Ok(specs)
}

/// `tool_choice`: `none`, `auto`, `required`, or `{"type": "function", "function":
/// {"name": ...}}` naming an offered tool. Only with tools, as OpenAI requires.
pub fn tool_choice(
    choice: Option<&serde_json::Value>,
    tools: &[ToolSpec],
) -> Result<ToolChoice, Error> {
    let Some(choice) = choice else {
        return Ok(ToolChoice::Auto);
    };
    if tools.is_empty() {
        return Err(Error::invalid(
            "tool_choice",
            "is only allowed with `tools`",
        ));
    }
    let named = choice
        .get("function")
        .and_then(|function| function.get("name"))
        .and_then(serde_json::Value::as_str)
        .filter(|_| choice.get("type").and_then(serde_json::Value::as_str) == Some("function"));
    match (choice.as_str(), named) {
        (Some("auto"), _) => Ok(ToolChoice::Auto),
        (Some("none"), _) => Ok(ToolChoice::None),
        (Some("required"), _) => Ok(ToolChoice::Required),
        (None, Some(name)) if tools.iter().any(|tool| tool.name == name) => {
            Ok(ToolChoice::Named(name.to_owned()))
        }
        (None, Some(name)) => Err(Error::invalid(
            "tool_choice",
            format!("names `{name}`, which is not in `tools`"),
        )),
        _ => Err(Error::invalid(
            "tool_choice",
            "must be `none`, `auto`, `required` or {\"type\": \"function\", \"function\": {\"name\": ...}}",
        )),
    }
}

/// The tool calls of an assistant message in a request.
pub fn calls_of(calls: &[ChatToolCall], index: usize) -> Result<Vec<ToolCall>, Error> {
    calls
        .iter()
        .enumerate()
        .map(|(position, call)| {
            let field = |name: &str| format!("messages[{index}].tool_calls[{position}].{name}");
            if call.kind != "function" {
                return Err(Error::invalid(field("type"), "must be `function`"));
            }
            if call.id.is_empty() {
                return Err(Error::invalid(field("id"), "must not be empty"));
            }
            if !valid_tool_name(&call.function.name) {
                return Err(Error::invalid(
                    field("function.name"),
                    "must be 1 to 64 letters, digits, `_` or `-`",
                ));
            }
            Ok(ToolCall {
                id: call.id.clone(),
                name: call.function.name.clone(),
                arguments: call.function.arguments.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools(value: serde_json::Value) -> Result<Vec<ToolSpec>, Error> {
        tool_specs(&serde_json::from_value::<Vec<ChatTool>>(value).unwrap())
    }

    #[test]
    fn a_function_becomes_a_tool_spec_with_an_empty_schema_by_default() {
        let specs = tools(serde_json::json!([
            {"type": "function", "function": {"name": "get_weather", "description": "Weather now",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
            {"type": "function", "function": {"name": "now"}}
        ]))
        .unwrap();
        assert_eq!(specs[0].name, "get_weather");
        assert_eq!(specs[0].parameters["properties"]["city"]["type"], "string");
        assert_eq!(
            specs[1].parameters,
            serde_json::json!({"type": "object", "properties": {}})
        );
    }

    #[test]
    fn bad_tools_are_refused_naming_the_field() {
        for (bad, field) in [
            (
                serde_json::json!([{"type": "retrieval", "function": {"name": "a"}}]),
                "tools[0].type",
            ),
            (
                serde_json::json!([{"type": "function", "function": {"name": "has space"}}]),
                "tools[0].function.name",
            ),
            (
                serde_json::json!([{"type": "function", "function": {"name": ""}}]),
                "tools[0].function.name",
            ),
            (
                serde_json::json!([{"type": "function", "function": {"name": "a"}}, {"type": "function", "function": {"name": "a"}}]),
                "tools[1].function.name",
            ),
            (
                serde_json::json!([{"type": "function", "function": {"name": "a", "parameters": "x"}}]),
                "tools[0].function.parameters",
            ),
        ] {
            let error = tools(bad).unwrap_err();
            assert!(format!("{error:?}").contains(field), "{field}: {error:?}");
        }
        let many: Vec<serde_json::Value> = (0..=MAX_TOOLS)
            .map(|n| serde_json::json!({"type": "function", "function": {"name": format!("t{n}")}}))
            .collect();
        assert!(tools(serde_json::Value::Array(many)).is_err());
    }

    #[test]
    fn tool_choice_takes_openais_forms_and_only_offered_names() {
        let offered =
            tools(serde_json::json!([{"type": "function", "function": {"name": "a"}}])).unwrap();
        let choice = |value: serde_json::Value| tool_choice(Some(&value), &offered);
        assert_eq!(tool_choice(None, &offered).unwrap(), ToolChoice::Auto);
        assert_eq!(choice("none".into()).unwrap(), ToolChoice::None);
        assert_eq!(choice("required".into()).unwrap(), ToolChoice::Required);
        assert_eq!(
            choice(serde_json::json!({"type": "function", "function": {"name": "a"}})).unwrap(),
            ToolChoice::Named("a".into())
        );
        assert!(
            choice(serde_json::json!({"type": "function", "function": {"name": "b"}})).is_err()
        );
        assert!(choice("sometimes".into()).is_err());
        assert!(
            tool_choice(Some(&"auto".into()), &[]).is_err(),
            "no choice without tools"
        );
    }
}
