//! `agora`: run Agora locally, migrate a database, invoke a Lambda function in process.

use std::{io::Write, net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use agora::{
    AppState, Config,
    adapters::local::postgres_cluster::LocalCluster,
    adapters::postgres::{DatabaseSettings, Db},
    bootstrap::{App, assemble},
    domain::{RequestOrigin, tokens::random_token},
    lambda::{self, InvokeError},
    services::{
        accounts::AdminGrant,
        catalog::seed::{DemoContent, synthetic_agents},
    },
};
use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "agora",
    version,
    about = "Agora, the open-source AI agent marketplace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the whole API and the web UI on 127.0.0.1. Without DATABASE_URL, a local
    /// PostgreSQL cluster under .agora/pg is created, started and stopped with it.
    Serve {
        /// Port to listen on (0 picks a free one); default AGORA_PORT or 8080.
        #[arg(long)]
        port: Option<u16>,
        /// Do not load the demo agents into an empty marketplace.
        #[arg(long)]
        no_demo: bool,
        /// Do not apply migrations at start (a deployment applies them once, before its
        /// servers start; their database role may not change the schema).
        #[arg(long)]
        no_migrate: bool,
    },
    /// Exit 0 when the server on this machine answers GET /v1/health with 200 (a
    /// container's health check); default port AGORA_PORT or 8080.
    Healthcheck {
        #[arg(long)]
        port: Option<u16>,
    },
    /// Apply pending database migrations to DATABASE_URL.
    Migrate,
    /// Run one Lambda function's handler in this process on an event file and print the
    /// Lambda response JSON.
    Invoke {
        /// The function name, e.g. `health`.
        function: String,
        /// An API Gateway (v1 or v2) or ALB event, e.g. events/health.apigw-v2.json.
        #[arg(long)]
        event: PathBuf,
    },
    /// Administration that no HTTP route offers.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Credits: grant them to an account (administrators' tool; no HTTP route grants).
    Credits {
        #[command(subcommand)]
        command: CreditsCommand,
    },
    /// Workflows: operations no HTTP route offers.
    Workflows {
        #[command(subcommand)]
        command: WorkflowsCommand,
    },
    /// Load the demo agents (idempotent), or N synthetic agents for benchmarks. Uses
    /// DATABASE_URL, else the local cluster.
    Seed {
        /// Generate this many synthetic agents instead of the demo set.
        #[arg(long)]
        synthetic: Option<usize>,
        /// The random seed of synthetic agents (the same seed gives the same agents).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make an account an administrator, creating it when no account has the email. A new
    /// account gets the password read from standard input (--password-stdin), or a
    /// generated one printed once. Uses DATABASE_URL, else the local cluster.
    Create {
        #[arg(long)]
        email: String,
        /// Read the new account's password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum WorkflowsCommand {
    /// Move the step messages in the dead-letter queue back to the workflow queue, after
    /// fixing what made them fail; their runs continue where they stopped, and no step
    /// that finished runs again. Uses QUEUE_URL and AWS's usual settings.
    Redrive {
        /// The dead-letter queue's URL (the stack output WorkflowDeadLetterQueueUrl);
        /// default DEAD_LETTER_QUEUE_URL.
        #[arg(long)]
        dlq_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum CreditsCommand {
    /// Add credits to an account's balance, with a ledger entry. Uses DATABASE_URL, else
    /// the local cluster.
    Grant {
        #[arg(long)]
        email: String,
        /// How many credits, e.g. 10 or 2.5 (at most six decimals).
        #[arg(long)]
        credits: String,
        /// Why, shown in the account's ledger.
        #[arg(long, default_value = "Granted by an administrator")]
        note: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return report(&anyhow!(error).context("cannot start the async runtime")),
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Serve {
                port,
                no_demo,
                no_migrate,
            } => serve(port, !no_demo, !no_migrate).await,
            Command::Healthcheck { port } => healthcheck(port).await,
            Command::Migrate => migrate().await,
            Command::Invoke { function, event } => invoke(&function, &event).await,
            Command::Admin {
                command:
                    AdminCommand::Create {
                        email,
                        password_stdin,
                    },
            } => create_admin(&email, password_stdin).await,
            Command::Credits {
                command:
                    CreditsCommand::Grant {
                        email,
                        credits,
                        note,
                    },
            } => grant_credits(&email, &credits, &note).await,
            Command::Seed { synthetic, seed } => seed_content(synthetic, seed).await,
            Command::Workflows {
                command: WorkflowsCommand::Redrive { dlq_url },
            } => redrive(dlq_url).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

fn report(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

/// GET /v1/health on the loopback address, with a short timeout.
async fn healthcheck(port: Option<u16>) -> anyhow::Result<()> {
    let port = match port {
        Some(port) => port,
        None => Config::port_from_env()?,
    };
    let url = format!("http://127.0.0.1:{port}/v1/health");
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("no answer from {url}"))?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    Ok(())
}

async fn serve(port: Option<u16>, demo: bool, migrate: bool) -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    agora::telemetry::init(&config.log);
    let spinner = spinner();
    let cluster = if config.database.is_none() {
        let local = config.local.clone();
        let progress = spinner.clone();
        let cluster = tokio::task::spawn_blocking(move || {
            LocalCluster::start(&local, &|step| progress.set_message(step.to_owned()))
        })
        .await?
        .context("cannot start the local PostgreSQL cluster")?;
        config.database = Some(DatabaseSettings::at(cluster.url().to_owned(), 16));
        Some(cluster)
    } else {
        None
    };
    let served = serve_with_database(config, port, demo, migrate, &spinner).await;
    if let Some(cluster) = cluster {
        spinner.set_message("stopping PostgreSQL");
        let stopped = tokio::task::spawn_blocking(move || cluster.stop()).await?;
        spinner.finish_and_clear();
        stopped.context("cannot stop the local PostgreSQL cluster")?;
    }
    served
}

async fn serve_with_database(
    config: Config,
    port: Option<u16>,
    demo: bool,
    migrate: bool,
    spinner: &ProgressBar,
) -> anyhow::Result<()> {
    let mut config = config;
    let port = port.unwrap_or(config.port);
    let bind = config.bind;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((bind, port)))
        .await
        .with_context(|| {
            format!("cannot listen on {bind}:{port}; pass --port with a free port (0 picks one)")
        })?;
    let address = listener.local_addr()?;
    // Links in mail point at this server unless AGORA_PUBLIC_URL names another address.
    let default_url = format!("http://127.0.0.1:{}", config.port);
    if config.auth.verification.public_url == default_url {
        config.auth.verification.public_url = format!("http://{address}");
    }
    let dev = config.profile == agora::config::Profile::Dev;
    let app = assemble(config, Default::default()).await?;
    let state = app.state.clone();
    let applied = if migrate {
        spinner.set_message("applying migrations");
        database(&app)?.migrate().await.context(
            "cannot migrate the database; check DATABASE_URL and that PostgreSQL is running",
        )?
    } else {
        Vec::new()
    };
    if app.sqs_queue.is_some() {
        // Workflow steps go to SQS: consume them here, as the worker function would.
        let worker = state.workflow_worker()?;
        for _ in 0..2 {
            #[expect(
                clippy::disallowed_methods,
                reason = "the SQS pollers live as long as the server"
            )]
            tokio::spawn(worker.clone().run());
        }
    }
    if demo && dev {
        spinner.set_message("loading the demo agents");
        let loaded = load_demo(&state, &|_| {}).await?;
        if loaded > 0 {
            tracing::info!(loaded, "demo agents loaded");
        }
    }
    spinner.finish_and_clear();
    // Tests and scripts read this line to find the server.
    say(&format!(
        "Agora is listening on http://{address} ({} migrations applied now). Press Ctrl-C to stop.",
        applied.len()
    ))?;
    // What the scheduled maintenance function does in AWS, every minute here.
    #[expect(
        clippy::disallowed_methods,
        reason = "the maintenance timer lives as long as the server (aborted at shutdown)"
    )]
    let maintenance = tokio::spawn({
        let state = state.clone();
        async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                if let Err(error) = agora::lambda::maintain(&state).await {
                    tracing::warn!(%error, "maintenance failed; retrying in a minute");
                }
            }
        }
    });
    // Streamed answers are many small writes: without TCP_NODELAY, Nagle's algorithm holds
    // each one back until the client acknowledges the previous (tens of milliseconds).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    // The peer address feeds per-address sign-in limits and the audit log.
    axum::serve(
        listener,
        agora::api::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    maintenance.abort();
    if let Some(db) = &app.db {
        db.close();
    }
    say("Agora stopped.")?;
    Ok(())
}

async fn migrate() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    agora::telemetry::init(&config.log);
    if config.database.is_none() {
        bail!(
            "DATABASE_URL is not set: `agora migrate` applies migrations to it (agora serve migrates its local database itself)"
        );
    }
    let spinner = spinner();
    spinner.set_message("applying migrations");
    let app = assemble(config, Default::default()).await?;
    let applied = database(&app)?.migrate().await.context(
        "cannot migrate the database; check DATABASE_URL and that PostgreSQL is running",
    )?;
    spinner.finish_and_clear();
    if applied.is_empty() {
        say("The database is up to date.")
    } else {
        let names: Vec<String> = applied
            .iter()
            .map(|m| format!("{:04} {}", m.version, m.name))
            .collect();
        say(&format!(
            "Applied {} migrations: {}",
            applied.len(),
            names.join(", ")
        ))
    }
}

async fn invoke(function: &str, event_path: &PathBuf) -> anyhow::Result<()> {
    if !agora::api::function_names().contains(&function) {
        return Err(
            InvokeError::UnknownFunction(agora::api::UnknownFunction(function.to_owned())).into(),
        );
    }
    let event = tokio::fs::read(event_path)
        .await
        .with_context(|| format!("cannot read the event file {}", event_path.display()))?;
    let config = Config::from_env()?;
    agora::telemetry::init(&config.log);
    let app = assemble(config, Default::default()).await?;
    let state = app.state.clone();
    let response = lambda::invoke(state, function, &event)
        .await
        .with_context(|| format!("in {}", event_path.display()))?;
    say(&serde_json::to_string_pretty(&response)?)
}

async fn create_admin(email: &str, password_stdin: bool) -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    agora::telemetry::init(&config.log);
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let spinner = spinner();
    let started = use_local_database(&mut config, &spinner).await?;
    let outcome = grant_admin(config, email, password, &spinner).await;
    stop_local_database(started, &spinner).await?;
    outcome
}

async fn grant_credits(email: &str, credits: &str, note: &str) -> anyhow::Result<()> {
    let amount = agora::domain::Credits::parse(credits)
        .map_err(|problem| anyhow!("--credits: {problem}"))?;
    let email =
        agora::domain::Email::parse(email).map_err(|problem| anyhow!("--email: {problem}"))?;
    let mut config = Config::from_env()?;
    agora::telemetry::init(&config.log);
    let spinner = spinner();
    let started = use_local_database(&mut config, &spinner).await?;
    let outcome = async {
        let app = assemble(config, Default::default()).await?;
        let state = app.state.clone();
        spinner.set_message("applying migrations");
        database(&app)?.migrate().await.context(
            "cannot migrate the database; check DATABASE_URL and that PostgreSQL is running",
        )?;
        spinner.set_message("granting credits");
        let user = state
            .accounts()?
            .find_by_email(&email)
            .await
            .map_err(|error| anyhow!("{}", describe(&error)))?
            .ok_or_else(|| {
                anyhow!("no account has the email {email}; the user must sign up first")
            })?;
        let entry = state
            .billing()?
            .grant(user.id, amount, note)
            .await
            .map_err(|error| anyhow!("{}", describe(&error)))?;
        spinner.finish_and_clear();
        let balance = agora::domain::Credits::from_micros(entry.balance_after_micros)
            .map_err(|problem| anyhow!("{problem}"))?;
        say(&format!(
            "Granted {amount} credits to {email}; the balance is now {balance}."
        ))
    }
    .await;
    stop_local_database(started, &spinner).await?;
    outcome
}

async fn redrive(dlq_url: Option<String>) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let queue_url = config.aws.queue_url.ok_or_else(|| {
        anyhow!("set QUEUE_URL to the workflow queue's URL (the stack output WorkflowQueueUrl)")
    })?;
    let dlq_url = dlq_url
        .or(config.aws.dead_letter_queue_url)
        .ok_or_else(|| {
            anyhow!(
                "pass --dlq-url or set DEAD_LETTER_QUEUE_URL (the stack output WorkflowDeadLetterQueueUrl)"
            )
        })?;
    let sdk = agora::adapters::aws::load_sdk_config().await;
    let dead_letters = agora::adapters::sqs::SqsQueue::new(&sdk, &dlq_url);
    let queue = agora::adapters::sqs::SqsQueue::new(&sdk, &queue_url);
    let spinner = spinner();
    spinner.set_message("moving step messages back to the workflow queue");
    let moved = dead_letters
        .redrive_to(&queue, |moved| {
            spinner.set_message(format!("moved {moved} step messages"));
        })
        .await
        .map_err(|error| anyhow!("{}", describe(&error)))
        .context("cannot redrive; check QUEUE_URL, the DLQ URL and AWS credentials")?;
    spinner.finish_and_clear();
    say(&match moved {
        0 => "The dead-letter queue is empty; nothing to redrive.".to_owned(),
        1 => "Moved 1 step message back; its run continues where it stopped.".to_owned(),
        n => format!("Moved {n} step messages back; their runs continue where they stopped."),
    })
}

/// Without DATABASE_URL: points `config` at the local cluster, borrowed from a running
/// `agora serve` or started for this command (returned, to be stopped after).
async fn use_local_database(
    config: &mut Config,
    spinner: &ProgressBar,
) -> anyhow::Result<Option<LocalCluster>> {
    if config.database.is_some() {
        return Ok(None);
    }
    let local = config.local.clone();
    let progress = spinner.clone();
    let (url, started) = match LocalCluster::running_url(&local)? {
        Some(url) => (url, None),
        None => {
            let cluster = tokio::task::spawn_blocking(move || {
                LocalCluster::start(&local, &|step| progress.set_message(step.to_owned()))
            })
            .await?
            .context("cannot start the local PostgreSQL cluster; or set DATABASE_URL")?;
            (cluster.url().to_owned(), Some(cluster))
        }
    };
    config.database = Some(DatabaseSettings::at(url, 4));
    Ok(started)
}

async fn stop_local_database(
    started: Option<LocalCluster>,
    spinner: &ProgressBar,
) -> anyhow::Result<()> {
    if let Some(cluster) = started {
        spinner.set_message("stopping PostgreSQL");
        tokio::task::spawn_blocking(move || cluster.stop()).await??;
    }
    spinner.finish_and_clear();
    Ok(())
}

/// Loads the demo agents under their demo creator; 0 when they are all there already.
async fn load_demo(state: &AppState, progress: &(dyn Fn(usize) + Sync)) -> anyhow::Result<usize> {
    let content = DemoContent::load().map_err(|error| anyhow!("{}", describe(&error)))?;
    let owner = state
        .accounts()?
        .ensure_content_account(
            "demo@agora.invalid",
            &content.creator.handle,
            &content.creator.display_name,
            &content.creator.bio,
        )
        .await
        .map_err(|error| anyhow!("{}", describe(&error)))?;
    let agents = content
        .seed_agents()
        .map_err(|error| anyhow!("{}", describe(&error)))?;
    state
        .catalog()?
        .seed(owner, agents, progress)
        .await
        .map_err(|error| anyhow!("{}", describe(&error)))
}

async fn seed_content(synthetic: Option<usize>, seed: u64) -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    agora::telemetry::init(&config.log);
    let spinner = spinner();
    let started = use_local_database(&mut config, &spinner).await?;
    let outcome = async {
        let app = assemble(config, Default::default()).await?;
        let state = app.state.clone();
        spinner.set_message("applying migrations");
        database(&app)?
            .migrate()
            .await
            .context("cannot migrate the database")?;
        match synthetic {
            None => {
                spinner.set_message("loading the demo agents");
                let loaded = load_demo(&state, &|_| {}).await?;
                spinner.finish_and_clear();
                say(&format!(
                    "Loaded {loaded} demo agents (the others were there already)."
                ))
            }
            Some(count) => {
                spinner.finish_and_clear();
                let bar = ProgressBar::new(count as u64);
                if let Ok(style) = ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} agents  {per_sec}  eta {eta}",
                ) {
                    bar.set_style(style);
                }
                let owner = state
                    .accounts()?
                    .ensure_content_account(
                        "synthetic@agora.invalid",
                        "agora-synthetic",
                        "Synthetic agents",
                        "Generated by `agora seed --synthetic` for benchmarks.",
                    )
                    .await
                    .map_err(|error| anyhow!("{}", describe(&error)))?;
                let agents = synthetic_agents(count, seed);
                let progress = bar.clone();
                let loaded = state
                    .catalog()?
                    .seed(owner, agents, &move |done| {
                        progress.set_position(done as u64)
                    })
                    .await
                    .map_err(|error| anyhow!("{}", describe(&error)))?;
                bar.finish_and_clear();
                say(&format!(
                    "Published {loaded} synthetic agents under agora-synthetic."
                ))
            }
        }
    }
    .await;
    stop_local_database(started, &spinner).await?;
    outcome
}

async fn grant_admin(
    config: Config,
    email: &str,
    password: Option<String>,
    spinner: &ProgressBar,
) -> anyhow::Result<()> {
    let app = assemble(config, Default::default()).await?;
    let state = app.state.clone();
    spinner.set_message("applying migrations");
    database(&app)?.migrate().await.context(
        "cannot migrate the database; check DATABASE_URL and that PostgreSQL is running",
    )?;
    let generated = match password {
        Some(_) => None,
        None => Some(random_token("")?),
    };
    spinner.set_message("granting administrator rights");
    let origin = RequestOrigin::default();
    let grant = state
        .accounts()?
        .create_admin(email, password.as_deref().or(generated.as_deref()), &origin)
        .await
        .map_err(|error| anyhow!("{}", describe(&error)))?;
    spinner.finish_and_clear();
    match grant {
        AdminGrant::Created { user_id } => {
            say(&format!("Created administrator {email} (id {user_id})."))?;
            if let Some(password) = generated {
                say(&format!(
                    "Its password, shown only now: {password}\nSign in and change it under Account."
                ))?;
            }
            Ok(())
        }
        AdminGrant::Promoted { user_id } => {
            say(&format!("{email} (id {user_id}) is now an administrator."))
        }
        AdminGrant::AlreadyAdmin { user_id } => say(&format!(
            "{email} (id {user_id}) was already an administrator."
        )),
    }
}

/// An API error in a sentence for the terminal, with its per-field problems.
fn describe(error: &agora::Error) -> String {
    let fields: Vec<String> = error
        .field_errors()
        .iter()
        .map(|field| format!("{} {}", field.field, field.message))
        .collect();
    if fields.is_empty() {
        error.detail()
    } else {
        format!("{} ({})", error.detail(), fields.join("; "))
    }
}

/// The app's database, or the error that says to set one.
fn database(app: &App) -> anyhow::Result<&Db> {
    app.db
        .as_ref()
        .ok_or_else(|| anyhow!("DATABASE_URL is not set"))
}

fn spinner() -> ProgressBar {
    let spinner = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
        spinner.set_style(style);
    }
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}

fn say(line: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
