//! What the `migrate` function needs from outside: the database owner's login from Secrets
//! Manager, and the answer delivered to CloudFormation's response URL.

use serde::Deserialize;
use serde_json::Value;

use crate::{
    Config, Error,
    adapters::{
        postgres::{DatabaseSettings, Db, migrations::MigrationError},
        secrets::SecretsManagerSecret,
    },
    ports::SecretSource,
};

/// Applies the pending migrations as the owner whose `{"username", "password"}` the
/// secret `DATABASE_OWNER_SECRET_ID` holds; the number applied.
pub async fn migrate_as_owner(config: &Config) -> Result<usize, String> {
    let database = config
        .database
        .as_ref()
        .ok_or("the migrate function needs DATABASE_URL")?;
    let secret_id = config
        .aws
        .database_owner_secret_id
        .clone()
        .ok_or("the migrate function needs DATABASE_OWNER_SECRET_ID")?;
    let sdk = crate::adapters::aws::load_sdk_config().await;
    let secret = SecretsManagerSecret::new(&sdk, secret_id)
        .read()
        .await
        .map_err(|error| error.to_string())?;
    let settings = as_owner(database, &secret)?;
    let db = Db::new(&settings, None).map_err(|error| error.to_string())?;
    let applied = db.migrate().await;
    db.close();
    match applied {
        Ok(applied) => Ok(applied.len()),
        // A rollback (or CloudFormation's own, after a failed update) deploys an older
        // version: its schema is there already, and the newer migrations only added to it.
        Err(ahead @ MigrationError::Ahead { .. }) => {
            tracing::warn!(%ahead, "migrations");
            Ok(0)
        }
        Err(error) => Err(error.to_string()),
    }
}

/// Sends CloudFormation the answer (a PUT of the JSON, with no content type, as the
/// presigned URL expects).
pub async fn respond(url: reqwest::Url, answer: &Value) -> Result<(), Error> {
    let client = crate::adapters::egress::client(std::time::Duration::from_secs(30))?;
    let sent = client
        .put(url)
        .header(http::header::CONTENT_TYPE, "")
        .body(answer.to_string())
        .send()
        .await
        .map_err(|error| crate::adapters::egress::upstream("cloudformation", &error))?;
    if !sent.status().is_success() {
        return Err(Error::Internal(format!(
            "CloudFormation's response URL answered {}",
            sent.status()
        )));
    }
    Ok(())
}

/// `database` logged in as the owner whose `{"username", "password"}` the secret holds.
fn as_owner(database: &DatabaseSettings, secret: &str) -> Result<DatabaseSettings, String> {
    #[derive(Deserialize)]
    struct Owner {
        username: String,
        password: String,
    }
    let owner: Owner = serde_json::from_str(secret)
        .map_err(|_| "the owner secret is not JSON with username and password".to_owned())?;
    let mut url =
        reqwest::Url::parse(&database.url).map_err(|_| "DATABASE_URL is not a URL".to_owned())?;
    url.set_username(&owner.username)
        .and_then(|()| url.set_password(Some(&owner.password)))
        .map_err(|()| "DATABASE_URL cannot carry credentials".to_owned())?;
    let mut settings = database.clone();
    settings.url = url.to_string();
    settings.iam_auth = false;
    settings.pool_size = 1;
    // Building an index may take longer than a request's statement budget.
    settings.statement_timeout = std::time::Duration::from_secs(3_600);
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_logs_in_with_the_secrets_password_not_iam() {
        let mut database = DatabaseSettings::at(
            "postgres://agora_app@db.example:5432/agora?sslmode=require".into(),
            8,
        );
        database.iam_auth = true;
        let owner = as_owner(
            &database,
            r#"{"username":"agora_admin","password":"p@ss/word"}"#,
        )
        .unwrap();
        assert!(!owner.iam_auth);
        assert_eq!(
            owner.url,
            "postgres://agora_admin:p%40ss%2Fword@db.example:5432/agora?sslmode=require"
        );
        assert!(as_owner(&database, "{}").is_err());
    }
}
