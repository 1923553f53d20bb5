//! What a run sends: the agent's system prompt with the user's input fields, and the
//! conversation's messages, checked against Agora's documented limits.

use std::collections::BTreeMap;

use crate::{
    Error,
    domain::FieldError,
    domain::{
        agent::{AgentSpec, InputKind},
        llm::{Message, Role},
    },
};

/// The most messages one run may send (a conversation's history included).
pub const MAX_MESSAGES: usize = 200;
/// The longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 32_000;
/// The most characters of all messages together.
pub const MAX_PROMPT_CHARS: usize = 200_000;
/// The longest input field value, in characters.
pub const MAX_INPUT_CHARS: usize = 10_000;

/// Checks the messages a caller sent: at least one, the last from the user, none empty,
/// none over the limits. `field` names the list in errors (`messages`).
pub fn check_messages(messages: &[Message], field: &str) -> Result<(), Error> {
    let mut errors = Vec::new();
    if messages.is_empty() {
        errors.push(FieldError {
            field: field.to_owned(),
            message: "send at least one message".into(),
        });
    }
    if messages.len() > MAX_MESSAGES {
        errors.push(FieldError {
            field: field.to_owned(),
            message: format!("must have at most {MAX_MESSAGES} messages"),
        });
    }
    let mut total = 0usize;
    for (index, message) in messages.iter().enumerate() {
        let chars = message.chars();
        total += chars;
        let carries_tools = !message.tool_calls.is_empty() || !message.tool_results.is_empty();
        if message.content.trim().is_empty() && !carries_tools {
            errors.push(FieldError {
                field: format!("{field}[{index}].content"),
                message: "must not be empty".into(),
            });
        } else if chars > MAX_MESSAGE_CHARS {
            errors.push(FieldError {
                field: format!("{field}[{index}].content"),
                message: format!("must be at most {MAX_MESSAGE_CHARS} characters"),
            });
        }
    }
    errors.extend(tool_turn_errors(messages, field));
    if total > MAX_PROMPT_CHARS {
        errors.push(FieldError {
            field: field.to_owned(),
            message: format!("must be at most {MAX_PROMPT_CHARS} characters in all"),
        });
    }
    if messages.last().is_some_and(|last| last.role != Role::User) {
        errors.push(FieldError {
            field: format!("{field}[{}].role", messages.len() - 1),
            message: "the last message must be the user's".into(),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// Tool calls and their results must pair up as every provider requires: calls only from
/// the assistant, and the next message the user's, answering each call exactly once;
/// results only there.
fn tool_turn_errors(messages: &[Message], field: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut open_calls: Vec<&str> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let answered: Vec<&str> = message
            .tool_results
            .iter()
            .map(|result| result.call_id.as_str())
            .collect();
        if !answered.is_empty() || !open_calls.is_empty() {
            let mut expected = open_calls.clone();
            let mut got = answered.clone();
            expected.sort_unstable();
            got.sort_unstable();
            if open_calls.is_empty() {
                errors.push(FieldError::new(
                    format!("{field}[{index}]"),
                    "a tool result must follow the assistant message whose tool call it answers",
                ));
            } else if message.role != Role::User || expected != got {
                errors.push(FieldError::new(
                    format!("{field}[{index}]"),
                    format!(
                        "the assistant called {}: the next messages must answer each of those calls once, and nothing else",
                        open_calls.join(", ")
                    ),
                ));
            }
        }
        if !message.tool_calls.is_empty() && message.role != Role::Assistant {
            errors.push(FieldError::new(
                format!("{field}[{index}].tool_calls"),
                "only an assistant message makes tool calls",
            ));
        }
        let mut ids: Vec<&str> = message
            .tool_calls
            .iter()
            .map(|call| call.id.as_str())
            .collect();
        ids.sort_unstable();
        if ids.windows(2).any(|pair| pair.first() == pair.get(1))
            || ids.iter().any(|id| id.is_empty())
        {
            errors.push(FieldError::new(
                format!("{field}[{index}].tool_calls"),
                "each tool call needs an id of its own",
            ));
        }
        open_calls = message
            .tool_calls
            .iter()
            .map(|call| call.id.as_str())
            .collect();
    }
    errors
}

/// The system prompt a run sends: the agent's, then the filled-in input fields. Values are
/// checked against the agent's field definitions; unknown fields are refused.
pub fn system_prompt(
    spec: &AgentSpec,
    inputs: &BTreeMap<String, serde_json::Value>,
) -> Result<Option<String>, Error> {
    let mut errors = Vec::new();
    for name in inputs.keys() {
        if !spec.inputs.iter().any(|field| &field.name == name) {
            errors.push(FieldError {
                field: format!("inputs.{name}"),
                message: "the agent has no such input field".into(),
            });
        }
    }
    let mut lines = Vec::new();
    for field in &spec.inputs {
        let path = format!("inputs.{}", field.name);
        let Some(value) = inputs.get(&field.name).filter(|value| !value.is_null()) else {
            if field.required {
                errors.push(FieldError {
                    field: path,
                    message: format!("`{}` is required", field.label),
                });
            }
            continue;
        };
        let text = match (field.kind, value) {
            (InputKind::Text | InputKind::LongText, serde_json::Value::String(text)) => {
                Some(text.clone())
            }
            (InputKind::Number, serde_json::Value::Number(number)) => Some(number.to_string()),
            (InputKind::Boolean, serde_json::Value::Bool(flag)) => {
                Some(if *flag { "yes" } else { "no" }.to_owned())
            }
            (InputKind::Select, serde_json::Value::String(choice))
                if field.options.contains(choice) =>
            {
                Some(choice.clone())
            }
            _ => None,
        };
        match text {
            Some(text) if text.chars().count() > MAX_INPUT_CHARS => errors.push(FieldError {
                field: path,
                message: format!("must be at most {MAX_INPUT_CHARS} characters"),
            }),
            Some(text) => lines.push(format!("- {}: {}", field.label, text)),
            None => errors.push(FieldError {
                field: path,
                message: match field.kind {
                    InputKind::Text | InputKind::LongText => "must be text".into(),
                    InputKind::Number => "must be a number".into(),
                    InputKind::Boolean => "must be true or false".into(),
                    InputKind::Select => format!("must be one of: {}", field.options.join(", ")),
                },
            }),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let mut prompt = spec.system_prompt.trim().to_owned();
    if !lines.is_empty() {
        if !prompt.is_empty() {
            prompt.push_str("\n\n");
        }
        prompt.push_str("The user provided:\n");
        prompt.push_str(&lines.join("\n"));
    }
    Ok((!prompt.is_empty()).then_some(prompt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::llm::{ToolCall, ToolResult};

    fn calling(ids: &[&str]) -> Message {
        let mut message = Message::new(Role::Assistant, "");
        message.tool_calls = ids
            .iter()
            .map(|id| ToolCall {
                id: (*id).into(),
                name: "lookup".into(),
                arguments: "{}".into(),
            })
            .collect();
        message
    }

    fn answering(ids: &[&str]) -> Message {
        let mut message = Message::new(Role::User, "");
        message.tool_results = ids
            .iter()
            .map(|id| ToolResult {
                call_id: (*id).into(),
                content: "found".into(),
            })
            .collect();
        message
    }

    #[test]
    fn tool_results_must_answer_each_call_of_the_assistant_message_before_them_once() {
        let question = Message::new(Role::User, "look it up");
        let paired = [
            question.clone(),
            calling(&["a", "b"]),
            answering(&["b", "a"]),
        ];
        assert!(check_messages(&paired, "messages").is_ok());
        for (messages, field) in [
            (vec![question.clone(), answering(&["a"])], "messages[1]"),
            (
                vec![question.clone(), calling(&["a", "b"]), answering(&["a"])],
                "messages[2]",
            ),
            (
                vec![question.clone(), calling(&["a"]), answering(&["a", "a"])],
                "messages[2]",
            ),
            (
                vec![question.clone(), calling(&["a"]), question.clone()],
                "messages[2]",
            ),
            (
                vec![
                    question.clone(),
                    calling(&["a", "a"]),
                    answering(&["a", "a"]),
                ],
                "messages[1].tool_calls",
            ),
        ] {
            let Err(Error::Validation(errors)) = check_messages(&messages, "messages") else {
                panic!("{messages:?} passed");
            };
            assert!(
                errors.iter().any(|error| error.field == field),
                "{field}: {errors:?}"
            );
        }
        let mut user_calls = Message::new(Role::User, "hi");
        user_calls.tool_calls = calling(&["x"]).tool_calls;
        assert!(check_messages(&[user_calls], "messages").is_err());
    }

    fn spec(inputs: serde_json::Value) -> AgentSpec {
        serde_json::from_value(serde_json::json!({
            "name": "Tester", "summary": "Tests", "category": "fun",
            "system_prompt": "Be brief.",
            "model": { "provider": "agora", "name": "echo" },
            "inputs": inputs,
        }))
        .unwrap()
    }

    #[test]
    fn inputs_are_appended_to_the_system_prompt() {
        let spec = spec(serde_json::json!([
            { "name": "tone", "label": "Tone", "type": "select", "options": ["calm", "loud"], "required": true },
            { "name": "words", "label": "Words", "type": "number" }
        ]));
        let inputs = BTreeMap::from([("tone".to_owned(), serde_json::json!("calm"))]);
        assert_eq!(
            system_prompt(&spec, &inputs).unwrap().unwrap(),
            "Be brief.\n\nThe user provided:\n- Tone: calm"
        );
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let spec = spec(serde_json::json!([
            { "name": "tone", "label": "Tone", "type": "select", "options": ["calm"], "required": true }
        ]));
        let Err(Error::Validation(errors)) = system_prompt(
            &spec,
            &BTreeMap::from([
                ("tone".to_owned(), serde_json::json!("angry")),
                ("extra".to_owned(), serde_json::json!(1)),
            ]),
        ) else {
            panic!("expected a validation error");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["inputs.extra", "inputs.tone"]);
        let Err(Error::Validation(missing)) = system_prompt(&spec, &BTreeMap::new()) else {
            panic!("expected a validation error");
        };
        assert_eq!(missing[0].message, "`Tone` is required");
    }

    #[test]
    fn messages_must_end_with_the_user_and_stay_within_limits() {
        assert!(check_messages(&[Message::new(Role::User, "hi")], "messages").is_ok());
        for bad in [
            vec![],
            vec![Message::new(Role::User, "  ")],
            vec![
                Message::new(Role::User, "hi"),
                Message::new(Role::Assistant, "yo"),
            ],
            vec![Message::new(Role::User, "x".repeat(MAX_MESSAGE_CHARS + 1))],
        ] {
            assert!(check_messages(&bad, "messages").is_err(), "{bad:?}");
        }
        assert!(
            check_messages(
                &[Message::new(Role::User, "x".repeat(MAX_MESSAGE_CHARS))],
                "m"
            )
            .is_ok()
        );
    }
}
