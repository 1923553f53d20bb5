//! RDS IAM authentication: the connection password is a SigV4-signed token that lives 15
//! minutes. It is generated before the first connection and regenerated once it is 10
//! minutes old, so a connection opened at any moment carries a token with time to spare.

use std::sync::{Arc, Mutex};

use aws_sdk_rds::auth_token::{AuthTokenGenerator, Config as TokenConfig};
use chrono::{DateTime, TimeDelta, Utc};
use tokio_postgres::config::Host;

use crate::ports::{Clock, SystemClock};

/// Tokens are valid for 15 minutes; refreshing after 10 leaves 5 minutes of margin for
/// clock skew and slow connection setup.
pub const REFRESH_AFTER: TimeDelta = TimeDelta::minutes(10);

/// Produces the current IAM token for one database user.
pub struct RdsIamTokens {
    generator: AuthTokenGenerator,
    sdk: aws_config::SdkConfig,
    clock: Arc<dyn Clock>,
    current: Mutex<Option<(String, DateTime<Utc>)>>,
    // Serialises refreshes so a burst of new connections signs once.
    refreshing: tokio::sync::Mutex<()>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot create an RDS IAM token: {0}")]
pub struct IamTokenError(String);

impl RdsIamTokens {
    /// Tokens for the host, port and user of `pg`, signed with the SDK's credentials.
    pub fn for_database(
        pg: &tokio_postgres::Config,
        sdk: aws_config::SdkConfig,
    ) -> Result<Self, IamTokenError> {
        let host = match pg.get_hosts().first() {
            Some(Host::Tcp(host)) => host.clone(),
            _ => return Err(IamTokenError("DATABASE_URL must name a TCP host".into())),
        };
        let port = pg.get_ports().first().copied().unwrap_or(5432);
        let user = pg
            .get_user()
            .ok_or_else(|| IamTokenError("DATABASE_URL must name the database user".into()))?;
        Self::new(&host, port, user, sdk, Arc::new(SystemClock))
    }

    pub fn new(
        host: &str,
        port: u16,
        user: &str,
        sdk: aws_config::SdkConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, IamTokenError> {
        let config = TokenConfig::builder()
            .hostname(host)
            .port(u64::from(port))
            .username(user)
            .build()
            .map_err(|error| IamTokenError(error.to_string()))?;
        Ok(Self {
            generator: AuthTokenGenerator::new(config),
            sdk,
            clock,
            current: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    /// The token new connections use, if one has been generated.
    pub fn current(&self) -> Option<String> {
        self.current
            .lock()
            .ok()
            .and_then(|current| current.as_ref().map(|(token, _)| token.clone()))
    }

    /// Generates a token when there is none or the current one is [`REFRESH_AFTER`] old.
    /// Returns whether a new token was generated.
    pub async fn refresh_if_due(&self) -> Result<bool, IamTokenError> {
        if !self.is_due() {
            return Ok(false);
        }
        let _refreshing = self.refreshing.lock().await;
        if !self.is_due() {
            return Ok(false);
        }
        let token = self
            .generator
            .auth_token(&self.sdk)
            .await
            .map_err(|error| IamTokenError(error.to_string()))?;
        let now = self.clock.now();
        if let Ok(mut current) = self.current.lock() {
            *current = Some((token.as_str().to_owned(), now));
        }
        tracing::info!("generated a new RDS IAM token");
        Ok(true)
    }

    fn is_due(&self) -> bool {
        let now = self.clock.now();
        match self
            .current
            .lock()
            .ok()
            .and_then(|current| current.as_ref().map(|(_, at)| *at))
        {
            Some(generated_at) => now - generated_at >= REFRESH_AFTER,
            None => true,
        }
    }
}
