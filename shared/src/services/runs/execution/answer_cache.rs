//! The response cache of deterministic requests (temperature 0, one model, Agora's own
//! credential, no sealed prompt, no tools): the same request is answered from the cache,
//! recorded and charged the agent's price, with no tokens.

use tokio::{sync::mpsc, time::Instant};

use super::{Execution, Progress};
use crate::{
    domain::llm::FinishReason,
    ports::{FinishedRun, RunStatus},
    services::runs::{ActiveRun, RunEvent, RunInfo, RunOutcome},
};

impl Execution {
    /// The cache key of a request whose answer is the same every time (temperature 0, one
    /// model, Agora's own credential), if this one is.
    pub(super) fn cache_key(&self) -> Option<String> {
        use sha2::{Digest, Sha256};
        let model = self.plan.first()?;
        let deterministic = self.request.sampling.temperature == Some(0.0)
            && self.guard.is_none()
            && self.toolbox.is_empty()
            && matches!(
                model.credential,
                crate::ports::CredentialKind::Platform | crate::ports::CredentialKind::Offline
            );
        if !deterministic {
            return None;
        }
        let identity = serde_json::json!({
            "provider": model.provider_name,
            "model": model.model,
            "system": self.request.system,
            "messages": self.request.messages,
            "tools": self.request.tools,
            "tool_choice": self.request.tool_choice,
            "sampling": self.request.sampling,
        });
        let digest = Sha256::digest(identity.to_string().as_bytes());
        Some(format!("answers:{}", hex(&digest)))
    }

    pub(super) async fn cached_answer(&self) -> Option<String> {
        let key = self.cache_key()?;
        let bytes = self.shared.ports.cache.get(&key).await.ok()??;
        String::from_utf8(bytes).ok()
    }

    pub(super) async fn remember_answer(&self, finished: &FinishedRun) {
        if finished.finish_reason != Some(FinishReason::Stop) {
            return;
        }
        if let Some(key) = self.cache_key() {
            let ttl = self.shared.settings.response_cache_ttl;
            let _ = self
                .shared
                .ports
                .cache
                .set(&key, finished.output.as_bytes(), ttl)
                .await;
        }
    }

    /// A cached answer: recorded and charged the agent's price, no tokens.
    pub(super) async fn serve_cached(self, output: String, started: Instant) -> ActiveRun {
        let model = self.plan.first().cloned();
        let progress = Progress {
            output,
            tool_calls: Vec::new(),
            tool_uses: Vec::new(),
            finish: Some(FinishReason::Stop),
            ttft: Some(started.elapsed()),
        };
        let mut finished = self.finished(
            RunStatus::Succeeded,
            model,
            Vec::new(),
            &progress,
            None,
            started,
        );
        finished.cached = true;
        let (sender, events) = mpsc::channel(2);
        let info = RunInfo {
            run_id: self.run_id,
            agent: self.agent.clone(),
            agent_version: self.agent_version,
            provider: finished.provider.clone(),
            model: finished.model.clone(),
            created_at: self.created_at,
        };
        if let Err(error) = self.settle(&finished).await {
            tracing::error!(run_id = %self.run_id, %error, "cannot record a cached run");
        }
        let mut outcome = RunOutcome::from(&finished);
        outcome.charged = self.charged(&finished);
        let _ = sender.try_send(RunEvent::Delta(finished.output.clone()));
        let _ = sender.try_send(RunEvent::Done(outcome));
        ActiveRun { info, events }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
