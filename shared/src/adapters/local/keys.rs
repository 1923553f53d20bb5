//! The local key wrapper: a 256-bit master key in `$AGORA_HOME/master.key` (mode 0600,
//! created on first use) wraps each data key with AES-256-GCM, as KMS would.

use std::path::PathBuf;

use async_trait::async_trait;
use tokio::sync::OnceCell;

use crate::{
    Error, Result,
    domain::crypto,
    ports::{DataKey, KeyWrapper},
};

pub struct LocalKeyWrapper {
    path: PathBuf,
    master: OnceCell<Vec<u8>>,
}

impl LocalKeyWrapper {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            master: OnceCell::new(),
        }
    }

    async fn master(&self) -> Result<&[u8]> {
        self.master
            .get_or_try_init(|| async {
                let path = self.path.clone();
                tokio::task::spawn_blocking(move || read_or_create(&path))
                    .await
                    .map_err(|error| Error::Internal(format!("key file task failed: {error}")))?
            })
            .await
            .map(Vec::as_slice)
    }
}

#[async_trait]
impl KeyWrapper for LocalKeyWrapper {
    async fn generate_data_key(&self) -> Result<DataKey> {
        let plaintext = crypto::random_key()?;
        let wrapped = crypto::seal(self.master().await?, &plaintext, b"agora-data-key")?;
        Ok(DataKey { plaintext, wrapped })
    }

    async fn unwrap_data_key(&self, wrapped: &[u8]) -> Result<Vec<u8>> {
        Ok(crypto::open(
            self.master().await?,
            wrapped,
            b"agora-data-key",
        )?)
    }

    fn key_id(&self) -> &str {
        "local"
    }
}

fn read_or_create(path: &std::path::Path) -> Result<Vec<u8>> {
    use std::io::Write;
    match std::fs::read(path) {
        Ok(key) if key.len() == crypto::KEY_BYTES => return Ok(key),
        Ok(_) => {
            return Err(Error::Internal(format!(
                "{} is not a 32-byte key; restore it from a backup (deleting it loses every saved provider key)",
                path.display()
            )));
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(Error::Internal(format!(
                "cannot read {}: {error}",
                path.display()
            )));
        }
    }
    let key = crypto::random_key()?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| {
            Error::Internal(format!("cannot create {}: {error}", parent.display()))
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&key).map_err(|error| {
                Error::Internal(format!("cannot write {}: {error}", path.display()))
            })?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path)
            .map_err(|error| Error::Internal(format!("cannot read {}: {error}", path.display()))),
        Err(error) => Err(Error::Internal(format!(
            "cannot create {}: {error}",
            path.display()
        ))),
    }
}
