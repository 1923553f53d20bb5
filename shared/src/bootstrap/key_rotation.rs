//! What the `rotate-signing-key` function needs: the signing keys' secret
//! (`AGORA_SECRET_ID`), written back when a step is due, and their public half
//! (`AGORA_VERIFICATION_KEYS_ID`).

use std::sync::Arc;

use crate::{
    Config,
    adapters::secrets::SecretsManagerSecret,
    ports::{PublicKeyDirectory, SystemClock},
    services::key_rotation::KeyRotationService,
};

pub async fn key_rotation_service(config: &Config) -> Result<KeyRotationService, String> {
    let secret_id = config
        .aws
        .secret_id
        .clone()
        .ok_or("the rotation function needs AGORA_SECRET_ID (the signing keys' secret)")?;
    let sdk = crate::adapters::aws::load_sdk_config().await;
    let keys = Arc::new(SecretsManagerSecret::new(&sdk, secret_id));
    let directory = config
        .aws
        .verification_keys_id
        .clone()
        .map(|id| Arc::new(SecretsManagerSecret::new(&sdk, id)) as Arc<dyn PublicKeyDirectory>);
    Ok(KeyRotationService {
        keys: keys.clone(),
        writer: keys,
        directory,
        clock: Arc::new(SystemClock),
        policy: config.auth.key_rotation.clone(),
    })
}
