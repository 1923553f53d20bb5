//! Embedding providers behind the [`crate::ports::Embedder`] port: OpenAI's embeddings API
//! (or any OpenAI-compatible URL) and Amazon Bedrock's Titan text embeddings. The offline
//! default is [`crate::adapters::local::embedder`].

pub mod bedrock;
pub mod openai;

use std::fmt;

use crate::{Error, ports::EMBEDDING_DIMENSIONS};

/// Which model turns agent listings and search queries into vectors (`AGORA_EMBEDDER`).
#[derive(Clone, PartialEq, Eq)]
pub enum EmbedderSettings {
    /// `agora/offline-hash-256`: no provider, labelled offline (the default).
    Offline,
    /// OpenAI's embeddings API, or any server speaking it at `base_url`.
    OpenAi {
        base_url: String,
        model: String,
        api_key: Option<String>,
    },
    /// Amazon Bedrock (Titan text embeddings v2 by default).
    Bedrock { model_id: String },
}

impl fmt::Debug for EmbedderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Offline => f.write_str("Offline"),
            Self::OpenAi {
                base_url, model, ..
            } => write!(f, "OpenAi({base_url}, {model})"),
            Self::Bedrock { model_id } => write!(f, "Bedrock({model_id})"),
        }
    }
}

/// Checks what a provider returned: one vector per text, each of the stored dimensions,
/// finite numbers only (provider data is untrusted).
fn checked(
    vectors: Vec<Vec<f32>>,
    expected: usize,
    provider: &str,
) -> Result<Vec<Vec<f32>>, Error> {
    if vectors.len() != expected {
        return Err(Error::Upstream(format!(
            "{provider} returned {} embeddings for {expected} texts",
            vectors.len()
        )));
    }
    for vector in &vectors {
        if vector.len() != EMBEDDING_DIMENSIONS {
            return Err(Error::Upstream(format!(
                "{provider} returned {} dimensions; Agora stores {EMBEDDING_DIMENSIONS} (choose a model that supports them)",
                vector.len()
            )));
        }
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(Error::Upstream(format!(
                "{provider} returned a non-finite number"
            )));
        }
    }
    Ok(vectors)
}
