//! Outbound HTTP: the one place Agora builds an HTTP client. Every request to a provider
//! goes through a client from here: rustls, bounded connect and total time, no redirects
//! (a redirect could carry a credential to another host), and bodies read with a size cap.

use std::time::Duration;

use crate::{Error, error::describe_chain};

/// The largest provider answer Agora reads.
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// A client for calls to `dependency`, giving up after `timeout`.
pub fn client(timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("agora/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| Error::Internal(format!("cannot build the HTTP client: {error}")))
}

/// Reads a response body of at most [`MAX_RESPONSE_BYTES`], streaming, so an endless answer
/// cannot exhaust memory.
pub async fn read_body(
    mut response: reqwest::Response,
    dependency: &'static str,
) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| upstream(dependency, &error))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::Upstream(format!(
                "{dependency} answered more than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport failure talking to `dependency`.
pub fn upstream(dependency: &'static str, error: &reqwest::Error) -> Error {
    if error.is_timeout() || error.is_connect() {
        Error::Unavailable {
            dependency,
            cause: describe_chain(error),
        }
    } else {
        Error::Upstream(format!("{dependency}: {}", describe_chain(error)))
    }
}
