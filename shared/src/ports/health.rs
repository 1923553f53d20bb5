//! A round trip to one backend, for the health report.

use async_trait::async_trait;

/// One backend the health report checks: a round trip that proves it answers.
#[async_trait]
pub trait DependencyProbe: Send + Sync {
    /// Stable name shown in the health report: `database`, `cache`, `s3`, ...
    fn name(&self) -> &'static str;
    /// Succeeds when the dependency answered; the error says why not, without secrets.
    async fn probe(&self) -> Result<(), String>;
}
