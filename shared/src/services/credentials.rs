//! Users' own provider keys and creators' OpenAI-compatible endpoints: validated, envelope
//! encrypted (a fresh data key per credential, wrapped by KMS or the local key), never
//! returned after saving, and decrypted only when a run needs one.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    Error, Result,
    domain::FieldError,
    domain::{Caller, crypto, models::Provider, secret::SecretString},
    ports::{CredentialStore, KeyWrapper, ProviderCredentialRecord, Reach, UrlGuard},
};

/// The most credentials one user may store.
pub const MAX_CREDENTIALS: usize = 20;

pub struct CredentialService {
    store: Arc<dyn CredentialStore>,
    wrapper: Arc<dyn KeyWrapper>,
    egress: Arc<dyn UrlGuard>,
}

/// A credential to save.
#[derive(Clone, Debug)]
pub struct NewCredential {
    /// How agents refer to an endpoint (`my-vllm`): 1 to 40 lower-case letters, digits
    /// and hyphens.
    pub name: String,
    pub provider: CredentialProvider,
    pub api_key: Option<SecretString>,
    /// The endpoint's base URL: required for `openai_compatible`, refused otherwise.
    pub base_url: Option<String>,
}

/// Whose API a credential is for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CredentialProvider {
    /// Used instead of Agora's OpenAI key when you run agents on OpenAI models.
    Openai,
    /// Used instead of Agora's Anthropic key when you run agents on Anthropic models.
    Anthropic,
    /// Your own server (vLLM, Ollama, a model on EKS/ECS) for your agents to name.
    OpenaiCompatible,
    /// An MCP server (Streamable HTTP) whose tools your agents use; the key, if any, is
    /// sent to it as a bearer token.
    McpServer,
}

impl CredentialProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::OpenaiCompatible => "openai_compatible",
            Self::McpServer => "mcp_server",
        }
    }

    /// Whether it names a server of the user's own (a base URL) rather than a provider.
    fn has_base_url(self) -> bool {
        matches!(self, Self::OpenaiCompatible | Self::McpServer)
    }

    fn from_stored(stored: &str) -> Self {
        match stored {
            "openai" => Self::Openai,
            "anthropic" => Self::Anthropic,
            "mcp_server" => Self::McpServer,
            _ => Self::OpenaiCompatible,
        }
    }
}

/// A saved credential as its owner sees it: never the key.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CredentialView {
    pub id: Uuid,
    pub name: String,
    pub provider: CredentialProvider,
    pub base_url: Option<String>,
    /// The key's last four characters, to tell keys apart (empty when there is no key).
    pub key_last_four: String,
    pub created_at: DateTime<Utc>,
}

impl CredentialService {
    pub fn new(
        store: Arc<dyn CredentialStore>,
        wrapper: Arc<dyn KeyWrapper>,
        egress: Arc<dyn UrlGuard>,
    ) -> Self {
        Self {
            store,
            wrapper,
            egress,
        }
    }

    pub async fn save(&self, caller: &Caller, new: NewCredential) -> Result<CredentialView> {
        let user_id = caller.user()?.user_id;
        // The operator's networks are for the operator's own models: an administrator's.
        let reach = if caller.admin().is_ok() {
            Reach::PrivateNetworks
        } else {
            Reach::Public
        };
        let mut errors = Vec::new();
        let name_ok = (1..=40).contains(&new.name.len())
            && new
                .name
                .starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && new
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            errors.push(field(
                "name",
                "must be 1 to 40 lower-case letters, digits or hyphens",
            ));
        }
        match (&new.api_key, new.provider) {
            (None, CredentialProvider::OpenaiCompatible | CredentialProvider::McpServer) => {}
            (None, _) => errors.push(field("api_key", "is required")),
            (Some(key), _) => {
                let key = key.expose();
                if !(8..=500).contains(&key.len())
                    || key.chars().any(|c| c.is_control() || c.is_whitespace())
                {
                    errors.push(field(
                        "api_key",
                        "must be 8 to 500 characters without spaces or control characters",
                    ));
                }
            }
        }
        let base_url = match (&new.base_url, new.provider.has_base_url()) {
            (Some(url), true) => match self.egress.check(url, reach).await {
                Ok(url) => Some(url),
                Err(reason) => {
                    errors.push(field("base_url", &reason));
                    None
                }
            },
            (None, true) => {
                errors.push(field(
                    "base_url",
                    "is required for an openai_compatible endpoint or an mcp_server",
                ));
                None
            }
            (Some(_), false) => {
                errors.push(field(
                    "base_url",
                    "only an openai_compatible endpoint or an mcp_server has a base URL; your key is sent to the provider's own API",
                ));
                None
            }
            (None, false) => None,
        };
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let id = Uuid::now_v7();
        let plaintext = new
            .api_key
            .as_ref()
            .map_or(&b""[..], |key| key.expose().as_bytes());
        let data_key = self.wrapper.generate_data_key().await?;
        let ciphertext =
            crypto::seal(&data_key.plaintext, plaintext, &context(user_id, &new.name))?;
        let record = ProviderCredentialRecord {
            id,
            user_id,
            name: new.name.clone(),
            provider: new.provider.as_str().to_owned(),
            base_url,
            key_last_four: new
                .api_key
                .as_ref()
                .map(SecretString::last_four)
                .unwrap_or_default(),
            wrapped_data_key: data_key.wrapped,
            ciphertext,
            key_id: self.wrapper.key_id().to_owned(),
            created_at: Utc::now(),
            private_networks: reach == Reach::PrivateNetworks,
        };
        self.store
            .insert_credential(&record, MAX_CREDENTIALS)
            .await?;
        Ok(view(record))
    }

    pub async fn list(&self, caller: &Caller) -> Result<Vec<CredentialView>> {
        let user_id = caller.user()?.user_id;
        Ok(self
            .store
            .list_credentials(user_id)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    pub async fn delete(&self, caller: &Caller, id: Uuid) -> Result<()> {
        let user_id = caller.user()?.user_id;
        if self.store.delete_credential(user_id, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound(
                "You have no provider key with this id.".into(),
            ))
        }
    }

    /// The user's own key for `provider`, decrypted, if they saved one.
    pub async fn own_key(&self, user_id: Uuid, provider: Provider) -> Result<Option<SecretString>> {
        let wanted = match provider {
            Provider::Openai => CredentialProvider::Openai,
            Provider::Anthropic => CredentialProvider::Anthropic,
            Provider::Bedrock | Provider::Agora | Provider::OpenaiCompatible => return Ok(None),
        };
        let Some(record) = self
            .store
            .list_credentials(user_id)
            .await?
            .into_iter()
            .find(|record| CredentialProvider::from_stored(&record.provider) == wanted)
        else {
            return Ok(None);
        };
        Ok(Some(self.decrypt(&record).await?))
    }

    /// The owner's endpoint called `name`: its base URL and key (none for keyless servers).
    pub async fn endpoint(
        &self,
        owner_id: Uuid,
        name: &str,
    ) -> Result<Option<(String, Option<SecretString>, Reach)>> {
        self.server(owner_id, name, CredentialProvider::OpenaiCompatible)
            .await
    }

    /// The owner's MCP server called `name`: its URL and token (none for open servers).
    pub async fn mcp_server(
        &self,
        owner_id: Uuid,
        name: &str,
    ) -> Result<Option<(String, Option<SecretString>, Reach)>> {
        self.server(owner_id, name, CredentialProvider::McpServer)
            .await
    }

    async fn server(
        &self,
        owner_id: Uuid,
        name: &str,
        kind: CredentialProvider,
    ) -> Result<Option<(String, Option<SecretString>, Reach)>> {
        let Some(record) = self
            .store
            .list_credentials(owner_id)
            .await?
            .into_iter()
            .find(|record| {
                record.name == name && CredentialProvider::from_stored(&record.provider) == kind
            })
        else {
            return Ok(None);
        };
        let Some(base_url) = record.base_url.clone() else {
            return Ok(None);
        };
        // Checked at save, checked again: an operator may have narrowed the allowlist.
        let reach = if record.private_networks {
            Reach::PrivateNetworks
        } else {
            Reach::Public
        };
        self.egress
            .check_shape(&base_url, reach)
            .map_err(|reason| {
                Error::Forbidden(format!(
                    "The endpoint `{name}` is not allowed any more: {reason}."
                ))
            })?;
        let key = self.decrypt(&record).await?;
        Ok(Some((
            base_url,
            (!key.expose().is_empty()).then_some(key),
            reach,
        )))
    }

    /// Whether `owner_id` has an endpoint called `name` (agent validation).
    pub async fn has_endpoint(&self, owner_id: Uuid, name: &str) -> Result<bool> {
        self.has_server(owner_id, name, CredentialProvider::OpenaiCompatible)
            .await
    }

    /// Whether `owner_id` has an MCP server called `name` (agent validation).
    pub async fn has_mcp_server(&self, owner_id: Uuid, name: &str) -> Result<bool> {
        self.has_server(owner_id, name, CredentialProvider::McpServer)
            .await
    }

    async fn has_server(
        &self,
        owner_id: Uuid,
        name: &str,
        kind: CredentialProvider,
    ) -> Result<bool> {
        Ok(self
            .store
            .list_credentials(owner_id)
            .await?
            .iter()
            .any(|record| {
                record.name == name
                    && record.base_url.is_some()
                    && CredentialProvider::from_stored(&record.provider) == kind
            }))
    }

    async fn decrypt(&self, record: &ProviderCredentialRecord) -> Result<SecretString> {
        let data_key = self
            .wrapper
            .unwrap_data_key(&record.wrapped_data_key)
            .await?;
        let plaintext = crypto::open(
            &data_key,
            &record.ciphertext,
            &context(record.user_id, &record.name),
        )?;
        String::from_utf8(plaintext)
            .map(SecretString::new)
            .map_err(|_| Error::Internal("a stored provider key is not UTF-8".into()))
    }
}

/// What a ciphertext is bound to: its owner and name.
fn context(user_id: Uuid, name: &str) -> Vec<u8> {
    format!("agora-provider-key/{user_id}/{name}").into_bytes()
}

fn view(record: ProviderCredentialRecord) -> CredentialView {
    CredentialView {
        id: record.id,
        name: record.name,
        provider: CredentialProvider::from_stored(&record.provider),
        base_url: record.base_url,
        key_last_four: record.key_last_four,
        created_at: record.created_at,
    }
}

fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        field: name.to_owned(),
        message: message.to_owned(),
    }
}
