//! `agora/echo`: the offline model, so a fresh install can chat, meter and bill with no
//! provider at all. It is labelled in every answer and never pretends to think: it repeats
//! the last user message, a word per streamed event.

use async_trait::async_trait;
use futures::StreamExt;

use crate::{
    domain::llm::{FinishReason, LlmEvent, LlmRequest, ProviderError, Role, Usage},
    ports::{LlmProvider, LlmStream},
};

/// What every answer starts with, so nobody mistakes it for a real model.
pub const ECHO_LABEL: &str = "[agora/echo · offline model] You said: ";

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
        let said = request
            .messages
            .iter()
            .rev()
            .find(|message| message.role == Role::User)
            .map_or("", |message| message.content.as_str());
        let answer = format!("{ECHO_LABEL}{said}");
        let mut pieces: Vec<String> = answer.split_inclusive(' ').map(str::to_owned).collect();
        let limit = usize::try_from(request.sampling.max_tokens).unwrap_or(usize::MAX);
        let finish = if pieces.len() > limit {
            pieces.truncate(limit);
            FinishReason::Length
        } else {
            FinishReason::Stop
        };
        let prompt_bytes = request.system.as_ref().map_or(0, String::len)
            + request
                .messages
                .iter()
                .map(|message| message.content.len())
                .sum::<usize>();
        let usage = Usage {
            input_tokens: (prompt_bytes as u64).div_ceil(BYTES_PER_TOKEN).max(1),
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
