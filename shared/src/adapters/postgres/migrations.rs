//! Schema migrations: SQL files in `shared/migrations/`, embedded in the binary, applied in
//! order, each in its own transaction, recorded with a checksum so an edited migration is
//! refused, and serialised by an advisory lock so concurrent starts are safe.

use sha2::{Digest, Sha256};
use tokio_postgres::Client;

/// One migration file.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. A test checks this list against the folder.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../../../migrations/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sql: include_str!("../../../migrations/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "catalog",
        sql: include_str!("../../../migrations/0003_catalog.sql"),
    },
    Migration {
        version: 4,
        name: "uploads",
        sql: include_str!("../../../migrations/0004_uploads.sql"),
    },
    Migration {
        version: 5,
        name: "title_search",
        sql: include_str!("../../../migrations/0005_title_search.sql"),
    },
    Migration {
        version: 6,
        name: "search_vocabulary",
        sql: include_str!("../../../migrations/0006_search_vocabulary.sql"),
    },
    Migration {
        version: 7,
        name: "runs",
        sql: include_str!("../../../migrations/0007_runs.sql"),
    },
    Migration {
        version: 8,
        name: "reviews",
        sql: include_str!("../../../migrations/0008_reviews.sql"),
    },
    Migration {
        version: 9,
        name: "workflows",
        sql: include_str!("../../../migrations/0009_workflows.sql"),
    },
    Migration {
        version: 10,
        name: "saved_workflows",
        sql: include_str!("../../../migrations/0010_saved_workflows.sql"),
    },
    Migration {
        version: 11,
        name: "idempotency_claims",
        sql: include_str!("../../../migrations/0011_idempotency_claims.sql"),
    },
    Migration {
        version: 12,
        name: "endpoint_networks",
        sql: include_str!("../../../migrations/0012_endpoint_networks.sql"),
    },
    Migration {
        version: 13,
        name: "email_verification",
        sql: include_str!("../../../migrations/0013_email_verification.sql"),
    },
    Migration {
        version: 14,
        name: "application_role",
        sql: include_str!("../../../migrations/0014_application_role.sql"),
    },
    Migration {
        version: 15,
        name: "run_tool_calls",
        sql: include_str!("../../../migrations/0015_run_tool_calls.sql"),
    },
    Migration {
        version: 16,
        name: "mcp_servers",
        sql: include_str!("../../../migrations/0016_mcp_servers.sql"),
    },
];

/// A migration this run applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    pub name: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("migration {version} ({name}) failed: {reason}")]
    Failed {
        version: i64,
        name: &'static str,
        reason: String,
    },
    #[error(
        "migration {version} was changed after it was applied; add a new migration instead of editing it"
    )]
    Edited { version: i64 },
    #[error(
        "the database has migration {version}, which this build does not know; run a newer Agora"
    )]
    Unknown { version: i64 },
    /// Every migration this build knows is applied, and newer ones too: an older version
    /// of Agora deployed again (a rollback). Migrations only add, so it runs on this schema.
    #[error(
        "the database is ahead of this build: it has migration {version}, newer than any this build knows; nothing to apply"
    )]
    Ahead { version: i64 },
    #[error("database error while migrating: {0}")]
    Database(#[from] tokio_postgres::Error),
}

/// Arbitrary but fixed: the advisory lock every Agora migrator takes.
const LOCK_KEY: i64 = 0x6167_6f72_615f_6d67;

/// Applies every pending migration and returns those applied now (empty when up to date).
pub async fn apply(client: &mut Client) -> Result<Vec<Applied>, MigrationError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await?;
    let outcome = apply_locked(client).await;
    // Unlock even after a failure; the lock also ends with the session.
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await;
    let applied = outcome?;
    unlocked?;
    Ok(applied)
}

/// A fingerprint of all migrations: test databases cloned from a template are keyed by it.
pub fn schema_fingerprint() -> String {
    let mut hasher = Sha256::new();
    for migration in MIGRATIONS {
        hasher.update(checksum(migration.sql));
    }
    hex(&hasher.finalize())[..16].to_owned()
}

async fn apply_locked(client: &mut Client) -> Result<Vec<Applied>, MigrationError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    bigint PRIMARY KEY,
                 name       text NOT NULL,
                 checksum   text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
    let recorded: Vec<(i64, String)> = client
        .query(
            "SELECT version, checksum FROM schema_migrations ORDER BY version",
            &[],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let mut unknown = Vec::new();
    for (version, recorded_checksum) in &recorded {
        match MIGRATIONS.iter().find(|m| m.version == *version) {
            None => unknown.push(*version),
            Some(migration) if checksum(migration.sql) != *recorded_checksum => {
                return Err(MigrationError::Edited { version: *version });
            }
            Some(_) => {}
        }
    }
    if let (Some(&first), Some(&last)) = (unknown.first(), unknown.last()) {
        let newest_known = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
        let all_known_applied = MIGRATIONS
            .iter()
            .all(|m| recorded.iter().any(|(v, _)| *v == m.version));
        return Err(if all_known_applied && first > newest_known {
            MigrationError::Ahead { version: last }
        } else {
            MigrationError::Unknown { version: first }
        });
    }
    let mut applied = Vec::new();
    for migration in MIGRATIONS
        .iter()
        .filter(|m| !recorded.iter().any(|(v, _)| *v == m.version))
    {
        let failed = |error: tokio_postgres::Error| MigrationError::Failed {
            version: migration.version,
            name: migration.name,
            reason: error
                .as_db_error()
                .map_or_else(|| error.to_string(), |db| db.message().to_owned()),
        };
        let transaction = client.transaction().await?;
        // A migration may build an index for minutes: no statement budget for it.
        transaction
            .batch_execute("SET LOCAL statement_timeout = 0")
            .await?;
        transaction
            .batch_execute(migration.sql)
            .await
            .map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                &[
                    &migration.version,
                    &migration.name,
                    &checksum(migration.sql),
                ],
            )
            .await?;
        transaction.commit().await.map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "migration applied"
        );
        applied.push(Applied {
            version: migration.version,
            name: migration.name,
        });
    }
    Ok(applied)
}

fn checksum(sql: &str) -> String {
    hex(&Sha256::digest(sql.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_one_by_one_and_match_the_folder() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                migration.version,
                index as i64 + 1,
                "versions are consecutive"
            );
        }
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let expected: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.name))
            .collect();
        assert_eq!(
            files, expected,
            "every file in shared/migrations is listed in MIGRATIONS, in order"
        );
    }
}
