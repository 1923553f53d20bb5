//! Where Agora's own keys come from: AWS Secrets Manager in production, a value in the
//! environment, or a file under `.agora/` that a local install creates on first use.

use std::{fmt, path::PathBuf};

use async_trait::async_trait;

use crate::{
    domain::tokens::TokenKeys,
    error::describe_chain,
    ports::{PublicKeyDirectory, SecretError, SecretSource, SecretWriter},
};

/// Where the JSON secret with the signing keys lives.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretLocation {
    /// `AGORA_SECRET_ID`: an AWS Secrets Manager secret id or ARN.
    SecretsManager(String),
    /// `AGORA_SECRETS`: the JSON itself.
    Inline(String),
    /// Neither set (dev profile): a file under `AGORA_HOME`, created on first use.
    LocalFile(PathBuf),
}

impl fmt::Debug for SecretLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretsManager(id) => write!(f, "SecretsManager({id})"),
            Self::Inline(_) => f.write_str("Inline(<redacted>)"),
            Self::LocalFile(path) => write!(f, "LocalFile({})", path.display()),
        }
    }
}

/// A secret in AWS Secrets Manager (moto in tests), read once per process by the caller.
pub struct SecretsManagerSecret {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

impl SecretsManagerSecret {
    pub fn new(sdk: &aws_config::SdkConfig, secret_id: String) -> Self {
        Self {
            client: aws_sdk_secretsmanager::Client::new(sdk),
            secret_id,
        }
    }
}

#[async_trait]
impl SecretSource for SecretsManagerSecret {
    async fn read(&self) -> Result<String, SecretError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|error| {
                SecretError::Unavailable(format!(
                    "Secrets Manager GetSecretValue {}: {}",
                    self.secret_id,
                    describe_chain(&error)
                ))
            })?;
        output.secret_string.ok_or_else(|| {
            SecretError::Invalid(format!(
                "secret {} has no SecretString (binary secrets are not supported)",
                self.secret_id
            ))
        })
    }

    fn describe(&self) -> String {
        format!("Secrets Manager secret {}", self.secret_id)
    }
}

#[async_trait]
impl PublicKeyDirectory for SecretsManagerSecret {
    async fn publish(&self, public_keys: &str) -> Result<(), SecretError> {
        let published: Option<serde_json::Value> = self
            .read()
            .await
            .ok()
            .and_then(|current| serde_json::from_str(&current).ok());
        let wanted: serde_json::Value = serde_json::from_str(public_keys)
            .map_err(|error| SecretError::Invalid(error.to_string()))?;
        if published.as_ref() == Some(&wanted) {
            return Ok(());
        }
        self.write(public_keys).await
    }
}

#[async_trait]
impl SecretWriter for SecretsManagerSecret {
    /// A new version that becomes `AWSCURRENT` (the previous one stays as `AWSPREVIOUS`).
    async fn write(&self, value: &str) -> Result<(), SecretError> {
        self.client
            .put_secret_value()
            .secret_id(&self.secret_id)
            .secret_string(value)
            .send()
            .await
            .map_err(|error| {
                SecretError::Unavailable(format!(
                    "Secrets Manager PutSecretValue {}: {}",
                    self.secret_id,
                    describe_chain(&error)
                ))
            })?;
        Ok(())
    }
}

/// A secret given whole in the environment (`AGORA_SECRETS`).
pub struct InlineSecret(pub String);

#[async_trait]
impl SecretSource for InlineSecret {
    async fn read(&self) -> Result<String, SecretError> {
        Ok(self.0.clone())
    }

    fn describe(&self) -> String {
        "AGORA_SECRETS".into()
    }
}

/// A file a local install creates with fresh random keys the first time it is read, only
/// readable by its owner.
pub struct LocalSecretFile {
    pub path: PathBuf,
}

#[async_trait]
impl SecretSource for LocalSecretFile {
    async fn read(&self) -> Result<String, SecretError> {
        match tokio::fs::read_to_string(&self.path).await {
            Ok(secret) => return Ok(secret),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(SecretError::Unavailable(format!(
                    "cannot read {}: {error}",
                    self.path.display()
                )));
            }
        }
        let secret = TokenKeys::generate_secret()
            .map_err(|error| SecretError::Unavailable(error.to_string()))?;
        let path = self.path.clone();
        let written = secret.clone();
        tokio::task::spawn_blocking(move || create_private_file(&path, &written))
            .await
            .map_err(|error| SecretError::Unavailable(error.to_string()))?
            .map_err(|error| {
                SecretError::Unavailable(format!("cannot create {}: {error}", self.path.display()))
            })?;
        tracing::info!(path = %self.path.display(), "created local signing keys");
        // Another process may have won the race to create it: read what is there now.
        tokio::fs::read_to_string(&self.path)
            .await
            .map_err(|error| SecretError::Unavailable(error.to_string()))
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// Creates `path` with mode 0600; an existing file is left as it is.
fn create_private_file(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut file) => file.write_all(contents.as_bytes()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[tokio::test]
    async fn a_local_secret_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let source = LocalSecretFile {
            path: dir.path().join("nested/secrets.json"),
        };
        let first = source.read().await.unwrap();
        assert!(TokenKeys::parse(&first, false).is_ok());
        assert_eq!(
            source.read().await.unwrap(),
            first,
            "read again, not regenerated"
        );
        let mode = std::fs::metadata(&source.path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
