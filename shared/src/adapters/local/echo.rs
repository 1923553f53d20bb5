//! `agora/echo`: the offline model, so a fresh install can chat, meter and bill with no
//! provider at all. It is labelled in every answer and never pretends to think: it repeats
//! the last user message, a word per streamed event.
//!
//! With tools it is obedient, so tool flows can be tried and tested offline: a user message
//! that names an offered tool (`call get_weather {"city": "Oslo"}`) gets a call to it, with
//! the first JSON object after the name as its arguments (`{}` without one); `required` or
//! a named `tool_choice` calls the first or the named tool whatever was said. A message of
//! tool results gets them repeated.

use async_trait::async_trait;
use futures::StreamExt;

use crate::{
    domain::llm::{
        FinishReason, LlmEvent, LlmRequest, Message, ProviderError, Role, ToolCall, ToolChoice,
        Usage,
    },
    ports::{LlmProvider, LlmStream},
};

/// What every answer starts with, so nobody mistakes it for a real model.
pub const ECHO_LABEL: &str = "[agora/echo · offline model] You said: ";

/// What an answer to tool results starts with.
pub const ECHO_TOOL_LABEL: &str = "[agora/echo · offline model] The tools said: ";

/// Bytes per token the echo model counts (a common rule of thumb for English text).
const BYTES_PER_TOKEN: u64 = 4;

/// The offline model; `word_delay` paces a streamed answer like a real model's, so
/// streaming, stopping and time to first token can be seen in the browser.
#[derive(Clone, Copy, Debug, Default)]
pub struct EchoModel {
    pub word_delay: std::time::Duration,
}

#[async_trait]
impl LlmProvider for EchoModel {
    async fn call(&self, request: &LlmRequest) -> Result<LlmStream, ProviderError> {
        let last_user = request
            .messages
            .iter()
            .rev()
            .find(|message| message.role == Role::User);
        let said = last_user.map_or("", |message| message.content.as_str());
        if let Some(call) = last_user
            .filter(|message| message.tool_results.is_empty())
            .and_then(|_| tool_call(request, said))
        {
            let usage = Usage {
                input_tokens: prompt_tokens(request),
                output_tokens: (call.arguments.len() as u64)
                    .div_ceil(BYTES_PER_TOKEN)
                    .max(1),
            };
            return Ok(Box::pin(futures::stream::iter([
                Ok(LlmEvent::ToolCall {
                    id: call.id,
                    name: call.name,
                    arguments: call.arguments,
                }),
                Ok(LlmEvent::Usage(usage)),
                Ok(LlmEvent::Finish(FinishReason::ToolCalls)),
            ])));
        }
        let answer = match last_user.filter(|message| !message.tool_results.is_empty()) {
            Some(results) => {
                let contents: Vec<&str> = results
                    .tool_results
                    .iter()
                    .map(|result| result.content.as_str())
                    .collect();
                format!("{ECHO_TOOL_LABEL}{}", contents.join(" | "))
            }
            None => format!("{ECHO_LABEL}{said}"),
        };
        let mut pieces: Vec<String> = answer.split_inclusive(' ').map(str::to_owned).collect();
        let limit = usize::try_from(request.sampling.max_tokens).unwrap_or(usize::MAX);
        let finish = if pieces.len() > limit {
            pieces.truncate(limit);
            FinishReason::Length
        } else {
            FinishReason::Stop
        };
        let usage = Usage {
            input_tokens: prompt_tokens(request),
            output_tokens: pieces.len() as u64,
        };
        let events: Vec<Result<LlmEvent, ProviderError>> = if request.stream {
            pieces
                .into_iter()
                .map(|piece| Ok(LlmEvent::TextDelta(piece)))
                .collect()
        } else {
            vec![Ok(LlmEvent::TextDelta(pieces.concat()))]
        };
        let tail = [Ok(LlmEvent::Usage(usage)), Ok(LlmEvent::Finish(finish))];
        let delay = self.word_delay;
        let paced =
            futures::stream::iter(events.into_iter().chain(tail)).then(move |event| async move {
                if !delay.is_zero() && matches!(event, Ok(LlmEvent::TextDelta(_))) {
                    tokio::time::sleep(delay).await;
                }
                event
            });
        Ok(Box::pin(paced))
    }
}

/// The tokens the echo model counts for a request's prompt.
fn prompt_tokens(request: &LlmRequest) -> u64 {
    let prompt_chars = request.system.as_ref().map_or(0, String::len)
        + request.messages.iter().map(Message::chars).sum::<usize>();
    (prompt_chars as u64).div_ceil(BYTES_PER_TOKEN).max(1)
}

/// The call the obedient model makes, if the request offers tools and asks for one.
fn tool_call(request: &LlmRequest, said: &str) -> Option<ToolCall> {
    let offered = |name: &str| request.tools.iter().find(|tool| tool.name == name);
    let (tool, named_at) = match &request.tool_choice {
        ToolChoice::None => return None,
        ToolChoice::Named(name) => (offered(name)?, said.find(name.as_str())),
        ToolChoice::Auto | ToolChoice::Required => {
            // The tool named earliest in the message (the longest name where two start
            // together: `search_web` over `search`).
            let mentioned = request
                .tools
                .iter()
                .filter_map(|tool| said.find(tool.name.as_str()).map(|at| (at, tool)))
                .min_by_key(|(at, tool)| (*at, std::cmp::Reverse(tool.name.len())));
            match (mentioned, &request.tool_choice) {
                (Some((at, tool)), _) => (tool, Some(at)),
                (None, ToolChoice::Required) => (request.tools.first()?, None),
                (None, _) => return None,
            }
        }
    };
    let after_name = named_at
        .and_then(|at| said.get(at.saturating_add(tool.name.len())..))
        .unwrap_or("");
    let arguments = after_name
        .find('{')
        .and_then(|start| after_name.get(start..))
        .and_then(|json| {
            serde_json::Deserializer::from_str(json)
                .into_iter::<serde_json::Value>()
                .next()
                .and_then(Result::ok)
        })
        .filter(serde_json::Value::is_object)
        .map_or_else(|| "{}".to_owned(), |value| value.to_string());
    let turn = request
        .messages
        .iter()
        .filter(|message| message.role == Role::Assistant)
        .count();
    Some(ToolCall {
        id: format!("call_echo_{turn}"),
        name: tool.name.clone(),
        arguments,
    })
}
