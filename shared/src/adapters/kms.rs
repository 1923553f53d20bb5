//! AWS KMS as the key wrapper of users' provider keys: a fresh data key per credential
//! (`GenerateDataKey`, AES-256), unwrapped with `Decrypt` when a run needs it. The master
//! key never leaves KMS.

use async_trait::async_trait;
use aws_sdk_kms::{Client, primitives::Blob, types::DataKeySpec};

use crate::{
    Error, Result,
    ports::{DataKey, KeyWrapper},
};

pub struct KmsKeyWrapper {
    client: Client,
    key_id: String,
}

impl KmsKeyWrapper {
    pub fn new(sdk: &aws_config::SdkConfig, key_id: &str) -> Self {
        Self {
            client: Client::new(sdk),
            key_id: key_id.to_owned(),
        }
    }
}

#[async_trait]
impl KeyWrapper for KmsKeyWrapper {
    async fn generate_data_key(&self) -> Result<DataKey> {
        let output = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await
            .map_err(|error| unavailable(&error))?;
        let (Some(plaintext), Some(wrapped)) = (output.plaintext(), output.ciphertext_blob())
        else {
            return Err(Error::Internal("KMS returned no data key".into()));
        };
        Ok(DataKey {
            plaintext: plaintext.as_ref().to_vec(),
            wrapped: wrapped.as_ref().to_vec(),
        })
    }

    async fn unwrap_data_key(&self, wrapped: &[u8]) -> Result<Vec<u8>> {
        let output = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .send()
            .await
            .map_err(|error| unavailable(&error))?;
        output
            .plaintext()
            .map(|plaintext| plaintext.as_ref().to_vec())
            .ok_or_else(|| Error::Internal("KMS decrypted to nothing".into()))
    }

    fn key_id(&self) -> &str {
        &self.key_id
    }
}

fn unavailable(error: &(dyn std::error::Error + 'static)) -> Error {
    Error::Unavailable {
        dependency: "kms",
        cause: crate::error::describe_chain(error),
    }
}
