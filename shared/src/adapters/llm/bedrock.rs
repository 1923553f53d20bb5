//! Amazon Bedrock Converse and ConverseStream, through `aws-sdk-bedrockruntime`: one API
//! for every model Bedrock serves. Credentials are the function's IAM role; the SDK's own
//! retries are off, because Agora's run path retries and falls back itself.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_bedrockruntime::{
    Client,
    config::retry::RetryConfig,
    error::{ProvideErrorMetadata, SdkError},
    operation::{converse::ConverseError, converse_stream::ConverseStreamError},
    types::{
        self, AnyToolChoice, AutoToolChoice, ContentBlock, ContentBlockDelta, ContentBlockStart,
        ConversationRole, InferenceConfiguration, SpecificToolChoice, StopReason,
        SystemContentBlock, TokenUsage, Tool, ToolChoice, ToolConfiguration, ToolInputSchema,
        ToolResultBlock, ToolResultContentBlock, ToolSpecification, ToolUseBlock,
        error::ConverseStreamOutputError,
    },
};
use aws_smithy_types::{Document, Number};

use crate::{
    domain::llm::{
        FinishReason, LlmEvent, LlmRequest, ProviderError, Role, ToolChoice as LlmToolChoice, Usage,
    },
    ports::{LlmProvider, LlmStream},
};

pub struct BedrockConverse {
    client: Client,
    idle: Duration,
}

impl BedrockConverse {
    /// A client from the process's AWS configuration; `endpoint_url` overrides Bedrock's
    /// (a VPC endpoint, or a local server in tests).
    pub fn new(sdk: &aws_config::SdkConfig, endpoint_url: Option<&str>, idle: Duration) -> Self {
        let mut config = aws_sdk_bedrockruntime::config::Builder::from(sdk)
            .retry_config(RetryConfig::disabled());
        if let Some(url) = endpoint_url {
            config = config.endpoint_url(url);
        }
        Self {
            client: Client::from_conf(config.build()),
            idle,
        }
    }
}

#[async_trait]
impl LlmProvider for BedrockConverse {
    async fn call(&self, request: &LlmRequest) -> Result<LlmStream, ProviderError> {
        let messages = messages(request)?;
        let system: Vec<SystemContentBlock> = request
            .system
            .iter()
            .cloned()
            .chain(
                request
                    .messages
                    .iter()
                    .filter(|message| message.role == Role::System)
                    .map(|message| message.content.clone()),
            )
            .map(SystemContentBlock::Text)
            .collect();
        let inference = InferenceConfiguration::builder()
            .max_tokens(i32::try_from(request.sampling.max_tokens).unwrap_or(i32::MAX))
            .set_temperature(request.sampling.temperature.map(|t| narrow(t / 2.0)))
            .set_top_p(request.sampling.top_p.map(narrow))
            .build();
        let tools = tool_config(request)?;
        if !request.stream {
            let call = self
                .client
                .converse()
                .model_id(&request.model)
                .set_messages(Some(messages))
                .set_system((!system.is_empty()).then_some(system))
                .inference_config(inference)
                .set_tool_config(tools)
                .send();
            let output = tokio::time::timeout(self.idle, call)
                .await
                .map_err(|_| ProviderError::Timeout)?
                .map_err(converse_error)?;
            let mut events = Vec::new();
            if let Some(types::ConverseOutput::Message(message)) = output.output() {
                for block in message.content() {
                    match block {
                        ContentBlock::Text(text) if !text.is_empty() => {
                            events.push(LlmEvent::TextDelta(text.clone()));
                        }
                        ContentBlock::ToolUse(tool) => events.push(LlmEvent::ToolCall {
                            id: tool.tool_use_id().to_owned(),
                            name: tool.name().to_owned(),
                            arguments: json_of(tool.input()).to_string(),
                        }),
                        _ => {}
                    }
                }
            } else {
                return Err(ProviderError::Invalid("the answer has no message".into()));
            }
            let usage = output
                .usage()
                .ok_or_else(|| ProviderError::Invalid("the answer has no usage".into()))?;
            events.push(LlmEvent::Usage(usage_of(usage)?));
            events.push(LlmEvent::Finish(finish_of(output.stop_reason())?));
            return Ok(Box::pin(futures::stream::iter(events.into_iter().map(Ok))));
        }
        let call = self
            .client
            .converse_stream()
            .model_id(&request.model)
            .set_messages(Some(messages))
            .set_system((!system.is_empty()).then_some(system))
            .inference_config(inference)
            .set_tool_config(tools)
            .send();
        let output = tokio::time::timeout(self.idle, call)
            .await
            .map_err(|_| ProviderError::Timeout)?
            .map_err(converse_stream_error)?;
        let state = StreamState {
            receiver: output.stream,
            idle: self.idle,
            tool: None,
            finish: None,
            usage_seen: false,
        };
        let events = futures::stream::unfold(Some(state), |state| async move {
            let mut state = state?;
            loop {
                match state.next().await {
                    Ok(Some(events)) if events.is_empty() => {}
                    Ok(Some(events)) => {
                        let events: Vec<Result<LlmEvent, ProviderError>> =
                            events.into_iter().map(Ok).collect();
                        return Some((futures::stream::iter(events), Some(state)));
                    }
                    Ok(None) => return None,
                    Err(error) => {
                        return Some((futures::stream::iter(vec![Err(error)]), None));
                    }
                }
            }
        });
        Ok(Box::pin(super::ended_properly(
            futures::StreamExt::flatten(events),
        )))
    }
}

/// What a Converse stream has said: text blocks need no start, tool blocks arrive in
/// pieces, the stop reason comes before the usage (`metadata`), which ends the answer.
struct StreamState {
    receiver: aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver<
        types::ConverseStreamOutput,
        ConverseStreamOutputError,
    >,
    idle: Duration,
    tool: Option<(String, String, String)>,
    finish: Option<FinishReason>,
    usage_seen: bool,
}

impl StreamState {
    /// The normalised events of the next frame; `None` once the stream is over.
    async fn next(&mut self) -> Result<Option<Vec<LlmEvent>>, ProviderError> {
        if self.usage_seen {
            return Ok(None);
        }
        let frame = tokio::time::timeout(self.idle, self.receiver.recv())
            .await
            .map_err(|_| ProviderError::Timeout)?
            .map_err(stream_error)?;
        let Some(frame) = frame else {
            return Ok(None);
        };
        Ok(Some(match frame {
            types::ConverseStreamOutput::ContentBlockStart(start) => {
                if let Some(ContentBlockStart::ToolUse(tool)) = start.start() {
                    self.tool = Some((
                        tool.tool_use_id().to_owned(),
                        tool.name().to_owned(),
                        String::new(),
                    ));
                }
                Vec::new()
            }
            types::ConverseStreamOutput::ContentBlockDelta(delta) => match delta.delta() {
                Some(ContentBlockDelta::Text(text)) if !text.is_empty() => {
                    vec![LlmEvent::TextDelta(text.clone())]
                }
                Some(ContentBlockDelta::ToolUse(input)) => {
                    if let Some(tool) = &mut self.tool {
                        tool.2.push_str(input.input());
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            },
            types::ConverseStreamOutput::ContentBlockStop(_) => self
                .tool
                .take()
                .map(|(id, name, arguments)| LlmEvent::ToolCall {
                    id,
                    name,
                    arguments: if arguments.is_empty() {
                        "{}".into()
                    } else {
                        arguments
                    },
                })
                .into_iter()
                .collect(),
            types::ConverseStreamOutput::MessageStop(stop) => {
                self.finish = Some(finish_of(stop.stop_reason())?);
                Vec::new()
            }
            types::ConverseStreamOutput::Metadata(metadata) => {
                let usage = metadata
                    .usage()
                    .ok_or_else(|| ProviderError::Invalid("the metadata has no usage".into()))?;
                let finish = self.finish.take().ok_or_else(|| {
                    ProviderError::Invalid("usage arrived before messageStop".into())
                })?;
                self.usage_seen = true;
                vec![LlmEvent::Usage(usage_of(usage)?), LlmEvent::Finish(finish)]
            }
            _ => Vec::new(),
        }))
    }
}

/// The messages as Converse takes them: turns that alternate, so consecutive messages of
/// one role become one turn; tool results (`toolResult`) open the user's turn, tool calls
/// (`toolUse`) close the assistant's.
fn messages(request: &LlmRequest) -> Result<Vec<types::Message>, ProviderError> {
    let invalid = |error: aws_sdk_bedrockruntime::error::BuildError| {
        ProviderError::Invalid(format!("cannot build a message: {error}"))
    };
    let mut turns: Vec<(ConversationRole, Vec<ContentBlock>)> = Vec::new();
    for message in request
        .messages
        .iter()
        .filter(|message| message.role != Role::System)
    {
        let role = match message.role {
            Role::Assistant => ConversationRole::Assistant,
            Role::User | Role::System => ConversationRole::User,
        };
        let mut blocks = Vec::new();
        for result in &message.tool_results {
            blocks.push(ContentBlock::ToolResult(
                ToolResultBlock::builder()
                    .tool_use_id(&result.call_id)
                    .content(ToolResultContentBlock::Text(result.content.clone()))
                    .build()
                    .map_err(invalid)?,
            ));
        }
        if !message.content.is_empty()
            || (message.tool_results.is_empty() && message.tool_calls.is_empty())
        {
            blocks.push(ContentBlock::Text(message.content.clone()));
        }
        for call in &message.tool_calls {
            blocks.push(ContentBlock::ToolUse(
                ToolUseBlock::builder()
                    .tool_use_id(&call.id)
                    .name(&call.name)
                    .input(document_of(&super::arguments_object(&call.arguments)))
                    .build()
                    .map_err(invalid)?,
            ));
        }
        match turns.last_mut() {
            Some((last, turn)) if *last == role => turn.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    turns
        .into_iter()
        .map(|(role, blocks)| {
            types::Message::builder()
                .role(role)
                .set_content(Some(blocks))
                .build()
                .map_err(invalid)
        })
        .collect()
}

/// The tools and the choice among them. Converse has no "none": without tools in the
/// conversation so far they are left out; with them (Converse then requires the
/// configuration) the model may still choose.
fn tool_config(request: &LlmRequest) -> Result<Option<ToolConfiguration>, ProviderError> {
    let history_uses_tools = request
        .messages
        .iter()
        .any(|message| !message.tool_calls.is_empty() || !message.tool_results.is_empty());
    if request.tools.is_empty()
        || (request.tool_choice == LlmToolChoice::None && !history_uses_tools)
    {
        return Ok(None);
    }
    let invalid = |error: aws_sdk_bedrockruntime::error::BuildError| {
        ProviderError::Invalid(format!("cannot describe a tool: {error}"))
    };
    let choice = match &request.tool_choice {
        LlmToolChoice::Auto | LlmToolChoice::None => {
            ToolChoice::Auto(AutoToolChoice::builder().build())
        }
        LlmToolChoice::Required => ToolChoice::Any(AnyToolChoice::builder().build()),
        LlmToolChoice::Named(name) => ToolChoice::Tool(
            SpecificToolChoice::builder()
                .name(name)
                .build()
                .map_err(invalid)?,
        ),
    };
    let mut config = ToolConfiguration::builder().tool_choice(choice);
    for tool in &request.tools {
        config = config.tools(Tool::ToolSpec(
            ToolSpecification::builder()
                .name(&tool.name)
                .description(&tool.description)
                .input_schema(ToolInputSchema::Json(document_of(&tool.parameters)))
                .build()
                .map_err(invalid)?,
        ));
    }
    config.build().map(Some).map_err(invalid)
}

/// Counts must be whole and not negative.
fn usage_of(usage: &TokenUsage) -> Result<Usage, ProviderError> {
    let count = |value: i32, name: &str| {
        u64::try_from(value)
            .map_err(|_| ProviderError::Invalid(format!("{name} is negative ({value})")))
    };
    Ok(Usage {
        input_tokens: count(usage.input_tokens(), "inputTokens")?,
        output_tokens: count(usage.output_tokens(), "outputTokens")?,
    })
}

fn finish_of(reason: &StopReason) -> Result<FinishReason, ProviderError> {
    match reason {
        StopReason::EndTurn | StopReason::StopSequence => Ok(FinishReason::Stop),
        StopReason::MaxTokens | StopReason::ModelContextWindowExceeded => Ok(FinishReason::Length),
        StopReason::ToolUse => Ok(FinishReason::ToolCalls),
        StopReason::GuardrailIntervened | StopReason::ContentFiltered => {
            Ok(FinishReason::ContentFilter)
        }
        other => Err(ProviderError::Invalid(format!(
            "unexpected stopReason `{}`",
            other.as_str()
        ))),
    }
}

fn converse_error(error: SdkError<ConverseError>) -> ProviderError {
    let retry_after = retry_after(error.raw_response());
    match error {
        SdkError::ServiceError(service) => match service.err() {
            ConverseError::ThrottlingException(_) => ProviderError::RateLimited { retry_after },
            ConverseError::ServiceUnavailableException(_)
            | ConverseError::InternalServerException(_)
            | ConverseError::ModelNotReadyException(_) => {
                ProviderError::Unavailable(message_of(service.err()))
            }
            ConverseError::ModelTimeoutException(_) => ProviderError::Timeout,
            other => ProviderError::Refused {
                status: service.raw().status().as_u16(),
                message: message_of(other),
            },
        },
        other => sdk_failure(&other),
    }
}

fn converse_stream_error(error: SdkError<ConverseStreamError>) -> ProviderError {
    let retry_after = retry_after(error.raw_response());
    match error {
        SdkError::ServiceError(service) => match service.err() {
            ConverseStreamError::ThrottlingException(_) => {
                ProviderError::RateLimited { retry_after }
            }
            ConverseStreamError::ServiceUnavailableException(_)
            | ConverseStreamError::InternalServerException(_)
            | ConverseStreamError::ModelNotReadyException(_) => {
                ProviderError::Unavailable(message_of(service.err()))
            }
            ConverseStreamError::ModelTimeoutException(_) => ProviderError::Timeout,
            other => ProviderError::Refused {
                status: service.raw().status().as_u16(),
                message: message_of(other),
            },
        },
        other => sdk_failure(&other),
    }
}

fn stream_error(
    error: SdkError<ConverseStreamOutputError, aws_smithy_types::event_stream::RawMessage>,
) -> ProviderError {
    match error.as_service_error() {
        Some(ConverseStreamOutputError::ThrottlingException(_)) => {
            ProviderError::RateLimited { retry_after: None }
        }
        Some(
            service @ (ConverseStreamOutputError::ServiceUnavailableException(_)
            | ConverseStreamOutputError::InternalServerException(_)
            | ConverseStreamOutputError::ModelStreamErrorException(_)),
        ) => ProviderError::Unavailable(message_of(service)),
        Some(other) => ProviderError::Invalid(message_of(other)),
        None => sdk_failure(&error),
    }
}

/// A failure before or outside the service's answer: no connection, a timeout, or bytes
/// that are not Bedrock's format.
fn sdk_failure<E: std::error::Error + 'static, R: std::fmt::Debug>(
    error: &SdkError<E, R>,
) -> ProviderError {
    let detail = aws_sdk_bedrockruntime::error::DisplayErrorContext(error).to_string();
    match error {
        SdkError::TimeoutError(_) => ProviderError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => ProviderError::Timeout,
        SdkError::DispatchFailure(_) => ProviderError::Unavailable(detail),
        _ => ProviderError::Invalid(detail),
    }
}

fn message_of(error: &impl ProvideErrorMetadata) -> String {
    error
        .message()
        .unwrap_or("no message")
        .chars()
        .take(300)
        .collect()
}

/// A sampling value (checked to lie in 0 to 2) as Bedrock's `f32`.
#[expect(
    clippy::cast_possible_truncation,
    reason = "sampling values are validated to lie in 0 to 2; f32 keeps them to 7 digits"
)]
fn narrow(value: f64) -> f32 {
    value as f32
}

/// `x-amz-retry-after` (milliseconds) or `retry-after` (seconds).
fn retry_after(raw: Option<&aws_smithy_runtime_api::http::Response>) -> Option<Duration> {
    let headers = raw?.headers();
    super::retry_hint(headers.get("x-amz-retry-after"), headers.get("retry-after"))
}

fn document_of(value: &serde_json::Value) -> Document {
    use serde_json::Value;
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::String(s) => Document::String(s.clone()),
        Value::Number(n) => Document::Number(if let Some(u) = n.as_u64() {
            Number::PosInt(u)
        } else if let Some(i) = n.as_i64() {
            Number::NegInt(i)
        } else {
            Number::Float(n.as_f64().unwrap_or(0.0))
        }),
        Value::Array(items) => Document::Array(items.iter().map(document_of).collect()),
        Value::Object(fields) => Document::Object(
            fields
                .iter()
                .map(|(key, value)| (key.clone(), document_of(value)))
                .collect(),
        ),
    }
}

fn json_of(document: &Document) -> serde_json::Value {
    use serde_json::Value;
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::String(s) => Value::String(s.clone()),
        Document::Number(Number::PosInt(u)) => (*u).into(),
        Document::Number(Number::NegInt(i)) => (*i).into(),
        Document::Number(Number::Float(f)) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Document::Array(items) => Value::Array(items.iter().map(json_of).collect()),
        Document::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, value)| (key.clone(), json_of(value)))
                .collect(),
        ),
    }
}
