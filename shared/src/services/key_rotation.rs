//! The signing-key rotation schedule: each run reads the signing keys, takes the step of
//! [`rotate`] that is due, writes the keys back when they changed, and publishes their
//! public half (every run, so a publication that failed once is made by the next).

use std::sync::Arc;

use crate::{
    Error, Result,
    domain::{
        key_rotation::{RotationPolicy, RotationStep, rotate},
        tokens::random_token,
    },
    ports::{Clock, PublicKeyDirectory, SecretError, SecretSource, SecretWriter},
};

pub struct KeyRotationService {
    /// The signing keys: read here, and written through `writer`.
    pub keys: Arc<dyn SecretSource>,
    pub writer: Arc<dyn SecretWriter>,
    /// Where verifiers read the public half; `None` where every process signs (locally).
    pub directory: Option<Arc<dyn PublicKeyDirectory>>,
    pub clock: Arc<dyn Clock>,
    pub policy: RotationPolicy,
}

impl KeyRotationService {
    /// One run of the schedule; `rotate_now` starts a rotation whatever the key's age.
    pub async fn run(&self, rotate_now: bool) -> Result<RotationStep> {
        let secret = self.keys.read().await.map_err(unavailable)?;
        let unusable = |error| {
            Error::Internal(format!(
                "the signing keys in {} cannot be rotated: {error}",
                self.keys.describe()
            ))
        };
        let rotation = rotate(&secret, self.clock.now(), &self.policy, rotate_now, || {
            random_token("")
        })
        .map_err(unusable)?;
        let current = match &rotation.secret {
            Some(rotated) => {
                self.writer.write(rotated).await.map_err(unavailable)?;
                rotated
            }
            None => &secret,
        };
        if let Some(directory) = &self.directory {
            let keys = crate::domain::tokens::TokenKeys::parse(current, false).map_err(unusable)?;
            directory
                .publish(&keys.public_keys())
                .await
                .map_err(unavailable)?;
        }
        Ok(rotation.step)
    }
}

fn unavailable(error: SecretError) -> Error {
    Error::Unavailable {
        dependency: "secrets",
        cause: error.to_string(),
    }
}
