//! The health report: every configured dependency probed at once, each with its latency.

use std::{sync::Arc, time::Duration};

use futures::future::join_all;
use serde::Serialize;
use tokio::time::Instant;
use utoipa::ToSchema;

use crate::ports::DependencyProbe;

/// How long one probe may take before it counts as failed; keeps `/v1/health` well under
/// load-balancer health-check timeouts even when a backend hangs.
pub const PROBE_BUDGET: Duration = Duration::from_secs(2);

/// The state of Agora and of each dependency it was configured with.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthReport {
    /// `ok` when every dependency answered, `degraded` otherwise.
    pub status: OverallStatus,
    pub version: String,
    pub checks: Vec<DependencyCheck>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverallStatus {
    Ok,
    Degraded,
}

/// One dependency's answer to its probe.
#[derive(Debug, Serialize, ToSchema)]
pub struct DependencyCheck {
    /// `database`, `cache`, `s3`, `sqs`, `dynamodb`, `kms` or `secretsmanager`.
    pub name: String,
    pub status: DependencyStatus,
    /// Round-trip time of the probe in milliseconds.
    pub latency_ms: f64,
    /// Why the probe failed; `null` when it succeeded.
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DependencyStatus {
    Ok,
    Failed,
}

/// Probes every dependency concurrently, each within `budget`.
pub async fn check_dependencies(
    probes: &[Arc<dyn DependencyProbe>],
    budget: Duration,
) -> HealthReport {
    let checks = join_all(probes.iter().map(|probe| async move {
        let started = Instant::now();
        let outcome = match tokio::time::timeout(budget, probe.probe()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no answer within {} ms", budget.as_millis())),
        };
        let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
        DependencyCheck {
            name: probe.name().to_owned(),
            status: if outcome.is_ok() {
                DependencyStatus::Ok
            } else {
                DependencyStatus::Failed
            },
            latency_ms,
            error: outcome.err(),
        }
    }))
    .await;
    let status = if checks
        .iter()
        .all(|check| check.status == DependencyStatus::Ok)
    {
        OverallStatus::Ok
    } else {
        OverallStatus::Degraded
    };
    HealthReport {
        status,
        version: crate::VERSION.to_owned(),
        checks,
    }
}

/// How long the public report is reused: anonymous callers, however many, cost each
/// dependency at most one probe per this long per process.
pub const PUBLIC_REPORT_MAX_AGE: Duration = Duration::from_secs(5);

/// The health report's service: the probes of every configured dependency.
pub struct HealthService {
    probes: Vec<Arc<dyn DependencyProbe>>,
    /// Whether everyone sees why a probe failed (a developer's own machine), not only
    /// administrators.
    causes_for_everyone: bool,
    /// The last report for the public, and when it was made. Held across a probe, so
    /// callers arriving meanwhile wait for that one instead of probing again.
    public: tokio::sync::Mutex<Option<(Instant, Arc<HealthReport>)>>,
}

impl HealthService {
    pub fn new(probes: Vec<Arc<dyn DependencyProbe>>, causes_for_everyone: bool) -> Self {
        Self {
            probes,
            causes_for_everyone,
            public: tokio::sync::Mutex::new(None),
        }
    }

    /// Probes every configured dependency now, each within `budget`: for operators.
    pub async fn report(&self, budget: Duration) -> HealthReport {
        check_dependencies(&self.probes, budget).await
    }

    /// Probes the named dependencies only (a function's init opening what its route will
    /// use: a pooled database connection, the cache's).
    pub async fn warm(&self, names: &[&str], budget: Duration) -> HealthReport {
        let probes: Vec<Arc<dyn DependencyProbe>> = self
            .probes
            .iter()
            .filter(|probe| names.contains(&probe.name()))
            .cloned()
            .collect();
        check_dependencies(&probes, budget).await
    }

    /// The report for anyone: at most [`PUBLIC_REPORT_MAX_AGE`] old, and (unless causes
    /// are for everyone) without the probes' own words: they name hosts, ARNs, addresses.
    pub async fn public_report(&self, budget: Duration) -> Arc<HealthReport> {
        let mut cached = self.public.lock().await;
        if let Some((made, report)) = cached.as_ref()
            && made.elapsed() < PUBLIC_REPORT_MAX_AGE
        {
            return report.clone();
        }
        let mut report = check_dependencies(&self.probes, budget).await;
        for check in &mut report.checks {
            if check.error.is_some() && !self.causes_for_everyone {
                check.error = Some("did not answer its probe".into());
            }
        }
        let report = Arc::new(report);
        *cached = Some((Instant::now(), report.clone()));
        report
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;

    struct Scripted(&'static str, Result<(), &'static str>, Duration);

    #[async_trait]
    impl DependencyProbe for Scripted {
        fn name(&self) -> &'static str {
            self.0
        }
        async fn probe(&self) -> Result<(), String> {
            tokio::time::sleep(self.2).await;
            self.1.map_err(str::to_owned)
        }
    }

    #[tokio::test]
    async fn all_answering_dependencies_make_the_report_ok() {
        let probes: Vec<Arc<dyn DependencyProbe>> = vec![
            Arc::new(Scripted("database", Ok(()), Duration::ZERO)),
            Arc::new(Scripted("cache", Ok(()), Duration::ZERO)),
        ];
        let report = check_dependencies(&probes, PROBE_BUDGET).await;
        assert_eq!(report.status, OverallStatus::Ok);
        assert_eq!(report.checks.len(), 2);
        assert!(report.checks.iter().all(|c| c.error.is_none()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_or_hanging_dependency_degrades_the_report_and_says_why() {
        let probes: Vec<Arc<dyn DependencyProbe>> = vec![
            Arc::new(Scripted(
                "database",
                Err("connection refused"),
                Duration::ZERO,
            )),
            Arc::new(Scripted("cache", Ok(()), Duration::from_secs(60))),
        ];
        let report = check_dependencies(&probes, Duration::from_secs(1)).await;
        assert_eq!(report.status, OverallStatus::Degraded);
        assert_eq!(
            report.checks[0].error.as_deref(),
            Some("connection refused")
        );
        assert_eq!(report.checks[1].status, DependencyStatus::Failed);
        assert!(
            report.checks[1]
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("within 1000 ms")
        );
    }
}
