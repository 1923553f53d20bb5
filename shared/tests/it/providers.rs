//! The `LlmProvider` contract: every adapter (OpenAI, an OpenAI-compatible server,
//! Anthropic, Bedrock) against a local server speaking its provider's exact wire format,
//! whole and streamed, and through every failure a provider has.

use std::{sync::Arc, time::Duration};

use agora::{
    adapters::llm::{
        anthropic::AnthropicMessages,
        bedrock::BedrockConverse,
        openai::{Dialect, OpenAiChat},
    },
    domain::{
        llm::{
            FinishReason, LlmEvent, LlmRequest, Message, ProviderError, Role, Sampling, ToolCall,
            ToolChoice, ToolResult, ToolSpec, Usage,
        },
        secret::SecretString,
    },
    ports::LlmProvider,
};
use futures::StreamExt;

use crate::llm_stub::{Api, LlmStub, Scenario};

const IDLE: Duration = Duration::from_millis(400);
const KEY: &str = "sk-contract-test-key";

#[derive(Clone, Copy, Debug)]
pub(crate) enum Adapter {
    OpenAi,
    Compatible,
    Anthropic,
    Bedrock,
}

pub(crate) const ADAPTERS: [Adapter; 4] = [
    Adapter::OpenAi,
    Adapter::Compatible,
    Adapter::Anthropic,
    Adapter::Bedrock,
];

impl Adapter {
    fn api(self) -> Api {
        match self {
            Self::OpenAi | Self::Compatible => Api::OpenAi,
            Self::Anthropic => Api::Anthropic,
            Self::Bedrock => Api::Bedrock,
        }
    }

    pub(crate) async fn build(self, stub: &LlmStub) -> Arc<dyn LlmProvider> {
        let client = agora::adapters::egress::client(Duration::from_secs(10)).unwrap();
        match self {
            Self::OpenAi => Arc::new(OpenAiChat::new(
                client,
                &format!("{}/v1", stub.url()),
                Some(SecretString::new(KEY)),
                Dialect::OpenAi,
                IDLE,
            )),
            Self::Compatible => Arc::new(OpenAiChat::new(
                client,
                &format!("{}/v1", stub.url()),
                None,
                Dialect::Compatible,
                IDLE,
            )),
            Self::Anthropic => Arc::new(AnthropicMessages::new(
                client,
                &stub.url(),
                SecretString::new(KEY),
                IDLE,
            )),
            Self::Bedrock => {
                let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .region(aws_config::Region::new("us-east-1"))
                    .credentials_provider(aws_credential_types::Credentials::new(
                        "AKIDTEST", "secret", None, None, "test",
                    ))
                    .load()
                    .await;
                Arc::new(BedrockConverse::new(&sdk, Some(&stub.url()), IDLE))
            }
        }
    }

    fn model(self) -> &'static str {
        match self {
            Self::OpenAi => "gpt-4o-mini",
            Self::Compatible => "llama3.1:8b",
            Self::Anthropic => "claude-3-5-haiku-latest",
            Self::Bedrock => "anthropic.claude-3-5-haiku-20241022-v1:0",
        }
    }
}

pub(crate) fn request(adapter: Adapter, stream: bool) -> LlmRequest {
    LlmRequest {
        model: adapter.model().to_owned(),
        system: Some("You are terse.".into()),
        messages: vec![
            Message::new(Role::User, "Hi"),
            Message::new(Role::Assistant, "Hello."),
            Message::new(Role::User, "Say hello"),
        ],
        tools: Vec::new(),
        tool_choice: ToolChoice::Auto,
        sampling: Sampling {
            temperature: Some(0.5),
            top_p: None,
            max_tokens: 256,
        },
        stream,
    }
}

/// Every event of a call, or the error that ended it.
pub(crate) async fn collect(
    provider: &Arc<dyn LlmProvider>,
    request: &LlmRequest,
) -> Result<Vec<LlmEvent>, ProviderError> {
    let mut stream = provider.call(request).await?;
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event?);
    }
    Ok(events)
}

fn text_of(events: &[LlmEvent]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            LlmEvent::TextDelta(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn usage_of(events: &[LlmEvent]) -> Option<Usage> {
    events.iter().find_map(|event| match event {
        LlmEvent::Usage(usage) => Some(*usage),
        _ => None,
    })
}

#[tokio::test]
async fn recorded_answers_become_text_usage_and_finish_whole_and_streamed() {
    for adapter in ADAPTERS {
        for stream in [false, true] {
            let stub = LlmStub::start().await;
            stub.always(Scenario::Recorded);
            let provider = adapter.build(&stub).await;
            let events = collect(&provider, &request(adapter, stream)).await.unwrap();
            assert_eq!(
                text_of(&events),
                "Hello! How can I help you today?",
                "{adapter:?} stream={stream}"
            );
            let expected = match adapter.api() {
                Api::OpenAi => Usage {
                    input_tokens: 19,
                    output_tokens: 9,
                },
                Api::Anthropic => Usage {
                    input_tokens: 19,
                    output_tokens: 12,
                },
                Api::Bedrock => Usage {
                    input_tokens: 12,
                    output_tokens: 9,
                },
            };
            assert_eq!(
                usage_of(&events),
                Some(expected),
                "{adapter:?} stream={stream}"
            );
            assert_eq!(
                events.last(),
                Some(&LlmEvent::Finish(FinishReason::Stop)),
                "{adapter:?}"
            );
            if stream {
                let deltas = events
                    .iter()
                    .filter(|e| matches!(e, LlmEvent::TextDelta(_)))
                    .count();
                assert!(deltas > 1, "{adapter:?} streams in pieces");
            }
        }
    }
}

#[tokio::test]
async fn requests_carry_the_model_prompt_parameters_and_credential_in_the_wire_format() {
    for adapter in ADAPTERS {
        let stub = LlmStub::start().await;
        let provider = adapter.build(&stub).await;
        collect(&provider, &request(adapter, true)).await.unwrap();
        let received = stub.received();
        assert_eq!(received.len(), 1);
        let sent = &received[0];
        let body = &sent.body;
        match adapter {
            Adapter::OpenAi | Adapter::Compatible => {
                assert_eq!(sent.path, "/v1/chat/completions");
                assert_eq!(body["model"], adapter.model());
                assert_eq!(
                    body["messages"][0],
                    serde_json::json!({"role": "system", "content": "You are terse."})
                );
                assert_eq!(body["messages"][3]["content"], "Say hello");
                assert_eq!(body["stream"], true);
                assert_eq!(body["stream_options"]["include_usage"], true);
                assert_eq!(body["temperature"], 0.5);
                let (limit, auth) = match adapter {
                    Adapter::OpenAi => ("max_completion_tokens", Some(format!("Bearer {KEY}"))),
                    _ => ("max_tokens", None),
                };
                assert_eq!(body[limit], 256);
                assert_eq!(
                    sent.headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_owned()),
                    auth
                );
            }
            Adapter::Anthropic => {
                assert_eq!(sent.path, "/v1/messages");
                assert_eq!(body["system"], "You are terse.");
                assert_eq!(body["messages"].as_array().unwrap().len(), 3);
                assert_eq!(body["max_tokens"], 256);
                assert_eq!(
                    body["temperature"], 0.25,
                    "Anthropic's range is half of OpenAI's"
                );
                assert_eq!(sent.headers["x-api-key"], KEY);
                assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
            }
            Adapter::Bedrock => {
                assert_eq!(
                    sent.path,
                    "/model/anthropic.claude-3-5-haiku-20241022-v1:0/converse-stream"
                );
                assert_eq!(body["system"][0]["text"], "You are terse.");
                assert_eq!(body["messages"][2]["content"][0]["text"], "Say hello");
                assert_eq!(body["inferenceConfig"]["maxTokens"], 256);
                assert!(
                    sent.headers["authorization"]
                        .to_str()
                        .unwrap()
                        .starts_with("AWS4-HMAC-SHA256")
                );
            }
        }
    }
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: "The weather in a city now".into(),
        parameters: serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    }
}

fn tool_calls_of(events: &[LlmEvent]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            LlmEvent::ToolCall {
                id,
                name,
                arguments,
            } => Some((id.clone(), name.clone(), arguments.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_tool_call_arrives_whole_from_each_wire_format_streamed_or_not() {
    let arguments = r#"{"city":"Tromsø"}"#;
    for adapter in ADAPTERS {
        for stream in [false, true] {
            let stub = LlmStub::start().await;
            stub.then(Scenario::tool_call("call_1", "get_weather", arguments));
            let provider = adapter.build(&stub).await;
            let mut offered = request(adapter, stream);
            offered.tools = vec![weather_tool()];
            let events = collect(&provider, &offered).await.unwrap();
            let calls = tool_calls_of(&events);
            assert_eq!(calls.len(), 1, "{adapter:?} stream={stream}: {events:?}");
            let (id, name, got) = &calls[0];
            assert_eq!((id.as_str(), name.as_str()), ("call_1", "get_weather"));
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(got).unwrap(),
                serde_json::json!({"city": "Tromsø"}),
                "{adapter:?} stream={stream}: the pieces join into the arguments"
            );
            assert_eq!(
                events.last(),
                Some(&LlmEvent::Finish(FinishReason::ToolCalls)),
                "{adapter:?} stream={stream}"
            );
            assert!(usage_of(&events).is_some());
        }
    }
}

#[tokio::test]
async fn malformed_arguments_from_a_model_are_passed_on_as_written_never_a_failure() {
    // OpenAI sends arguments as text, and a streamed Anthropic or Bedrock call as pieces
    // of text: whatever the model wrote arrives unparsed, for the tool's caller to check.
    let broken = r#"{"city": "Oslo"#;
    for adapter in [Adapter::OpenAi, Adapter::Anthropic, Adapter::Bedrock] {
        for stream in [false, true] {
            if !stream && !matches!(adapter, Adapter::OpenAi) {
                continue; // those APIs send a whole call's input as a JSON object
            }
            let stub = LlmStub::start().await;
            stub.then(Scenario::tool_call("call_9", "get_weather", broken));
            let provider = adapter.build(&stub).await;
            let mut offered = request(adapter, stream);
            offered.tools = vec![weather_tool()];
            let events = collect(&provider, &offered).await.unwrap();
            assert_eq!(
                tool_calls_of(&events)[0].2,
                broken,
                "{adapter:?} stream={stream}"
            );
        }
    }
}

#[tokio::test]
async fn tool_calls_and_results_go_back_in_each_providers_wire_format() {
    for adapter in ADAPTERS {
        let stub = LlmStub::start().await;
        let provider = adapter.build(&stub).await;
        let mut conversation = request(adapter, false);
        conversation.tools = vec![weather_tool()];
        conversation.tool_choice = ToolChoice::Named("get_weather".into());
        let mut asked = Message::new(Role::Assistant, "");
        asked.tool_calls = vec![
            ToolCall {
                id: "call_a".into(),
                name: "get_weather".into(),
                arguments: r#"{"city":"Oslo"}"#.into(),
            },
            ToolCall {
                id: "call_b".into(),
                name: "get_weather".into(),
                arguments: "not json".into(),
            },
        ];
        let mut answered = Message::new(Role::User, "");
        answered.tool_results = vec![
            ToolResult {
                call_id: "call_a".into(),
                content: "4 °C, snow".into(),
            },
            ToolResult {
                call_id: "call_b".into(),
                content: "unknown city".into(),
            },
        ];
        conversation.messages = vec![
            Message::new(Role::User, "Weather in Oslo?"),
            asked,
            answered,
            Message::new(Role::User, "And should I cycle?"),
        ];
        collect(&provider, &conversation).await.unwrap();
        let body = &stub.received()[0].body;
        match adapter {
            Adapter::OpenAi | Adapter::Compatible => {
                let messages = body["messages"].as_array().unwrap();
                assert_eq!(
                    messages[2],
                    serde_json::json!({"role": "assistant", "content": null, "tool_calls": [
                        {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}},
                        {"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": "not json"}}
                    ]})
                );
                assert_eq!(
                    messages[3],
                    serde_json::json!({"role": "tool", "tool_call_id": "call_a", "content": "4 °C, snow"})
                );
                assert_eq!(messages[4]["tool_call_id"], "call_b");
                assert_eq!(
                    messages[5],
                    serde_json::json!({"role": "user", "content": "And should I cycle?"})
                );
                assert_eq!(body["tools"][0]["function"]["name"], "get_weather");
                assert_eq!(
                    body["tool_choice"],
                    serde_json::json!({"type": "function", "function": {"name": "get_weather"}})
                );
            }
            Adapter::Anthropic => {
                let messages = body["messages"].as_array().unwrap();
                assert_eq!(messages.len(), 3, "turns alternate: {messages:?}");
                assert_eq!(
                    messages[1],
                    serde_json::json!({"role": "assistant", "content": [
                        {"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {"city": "Oslo"}},
                        {"type": "tool_use", "id": "call_b", "name": "get_weather", "input": {}}
                    ]})
                );
                assert_eq!(
                    messages[2],
                    serde_json::json!({"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "call_a", "content": "4 °C, snow"},
                        {"type": "tool_result", "tool_use_id": "call_b", "content": "unknown city"},
                        {"type": "text", "text": "And should I cycle?"}
                    ]})
                );
                assert_eq!(body["tools"][0]["input_schema"]["required"][0], "city");
                assert_eq!(
                    body["tool_choice"],
                    serde_json::json!({"type": "tool", "name": "get_weather"})
                );
            }
            Adapter::Bedrock => {
                let messages = body["messages"].as_array().unwrap();
                assert_eq!(messages.len(), 3, "turns alternate: {messages:?}");
                assert_eq!(
                    messages[1]["content"][0]["toolUse"],
                    serde_json::json!({"toolUseId": "call_a", "name": "get_weather", "input": {"city": "Oslo"}})
                );
                assert_eq!(
                    messages[2]["content"][0]["toolResult"],
                    serde_json::json!({"toolUseId": "call_a", "content": [{"text": "4 °C, snow"}]})
                );
                assert_eq!(messages[2]["content"][2]["text"], "And should I cycle?");
                assert_eq!(
                    body["toolConfig"]["toolChoice"],
                    serde_json::json!({"tool": {"name": "get_weather"}})
                );
                assert_eq!(
                    body["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"]
                        [0],
                    "city"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_429_is_rate_limited_with_the_providers_retry_after() {
    for adapter in ADAPTERS {
        let stub = LlmStub::start().await;
        stub.always(Scenario::Status {
            status: 429,
            retry_after: Some(2),
        });
        let provider = adapter.build(&stub).await;
        let error = collect(&provider, &request(adapter, true))
            .await
            .unwrap_err();
        assert_eq!(
            error,
            ProviderError::RateLimited {
                retry_after: Some(Duration::from_secs(2))
            },
            "{adapter:?}"
        );
    }
}

#[tokio::test]
async fn server_errors_are_unavailable_and_client_errors_refused() {
    for adapter in ADAPTERS {
        for (status, retryable) in [(500, true), (503, true), (400, false)] {
            let stub = LlmStub::start().await;
            stub.always(Scenario::Status {
                status,
                retry_after: None,
            });
            let provider = adapter.build(&stub).await;
            let error = collect(&provider, &request(adapter, false))
                .await
                .unwrap_err();
            assert_eq!(
                error.is_retryable(),
                retryable,
                "{adapter:?} {status}: {error:?}"
            );
        }
    }
}

#[tokio::test]
async fn silence_before_or_during_the_answer_is_a_timeout() {
    for adapter in ADAPTERS {
        for scenario in [
            Scenario::Silent,
            Scenario::Stall {
                pieces: vec!["Hel".into()],
            },
        ] {
            let stub = LlmStub::start().await;
            stub.always(scenario.clone());
            let provider = adapter.build(&stub).await;
            let error = collect(&provider, &request(adapter, true))
                .await
                .unwrap_err();
            assert_eq!(error, ProviderError::Timeout, "{adapter:?} {scenario:?}");
        }
    }
}

#[tokio::test]
async fn truncated_and_malformed_streams_are_invalid() {
    for adapter in ADAPTERS {
        for scenario in [
            Scenario::Truncated {
                pieces: vec!["Hel".into(), "lo".into()],
            },
            Scenario::Garbage,
        ] {
            let stub = LlmStub::start().await;
            stub.always(scenario.clone());
            let provider = adapter.build(&stub).await;
            let error = collect(&provider, &request(adapter, true))
                .await
                .unwrap_err();
            assert!(
                matches!(error, ProviderError::Invalid(_)),
                "{adapter:?} {scenario:?}: {error:?}"
            );
        }
    }
}

#[tokio::test]
async fn negative_usage_is_never_accepted() {
    for adapter in ADAPTERS {
        for stream in [false, true] {
            let stub = LlmStub::start().await;
            stub.always(Scenario::answer("Hi there", -1_000_000, 3));
            let provider = adapter.build(&stub).await;
            let error = collect(&provider, &request(adapter, stream))
                .await
                .unwrap_err();
            assert!(
                matches!(error, ProviderError::Invalid(_)),
                "{adapter:?} stream={stream}: {error:?}"
            );
        }
    }
}
