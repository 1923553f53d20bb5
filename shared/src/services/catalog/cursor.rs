//! Opaque page cursors: where the next page starts, bound to the query that produced it and
//! checksummed, so an edited or borrowed cursor is refused (400) rather than misread.

use sha2::{Digest, Sha256};

use super::search::PageStart;
use crate::Error;

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    /// Fingerprint of the query (filters, words, sort, mode).
    q: String,
    s: PageStart,
}

/// Encodes `start` for the query with fingerprint `query`.
pub fn encode(query: &str, start: &PageStart) -> String {
    let payload = serde_json::to_vec(&Payload {
        q: query.to_owned(),
        s: start.clone(),
    })
    .unwrap_or_default();
    let checksum = &Sha256::digest(&payload)[..8];
    format!(
        "{}.{}",
        bs58::encode(&payload).into_string(),
        bs58::encode(checksum).into_string()
    )
}

/// Decodes a cursor made by [`encode`] for the same query.
pub fn decode(query: &str, cursor: &str) -> Result<PageStart, Error> {
    let invalid = || {
        Error::InvalidCursor(
            "The cursor is not one this query returned; start from the first page.".into(),
        )
    };
    let (payload, checksum) = cursor.split_once('.').ok_or_else(invalid)?;
    let payload = bs58::decode(payload).into_vec().map_err(|_| invalid())?;
    let checksum = bs58::decode(checksum).into_vec().map_err(|_| invalid())?;
    if checksum != Sha256::digest(&payload)[..8] {
        return Err(invalid());
    }
    let payload: Payload = serde_json::from_slice(&payload).map_err(|_| invalid())?;
    if payload.q != query {
        return Err(Error::InvalidCursor(
            "The cursor belongs to another query (other words, filters or sort); start from the first page.".into(),
        ));
    }
    Ok(payload.s)
}

/// A short fingerprint of everything that shapes a query's results.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_refuses_edits_and_other_queries() {
        let start = PageStart::After {
            key: 42,
            id: uuid::Uuid::from_u128(7),
        };
        let cursor = encode("q1", &start);
        assert_eq!(decode("q1", &cursor).unwrap(), start);
        assert!(matches!(
            decode("q2", &cursor),
            Err(Error::InvalidCursor(_))
        ));
        let mut edited = cursor.clone().into_bytes();
        edited[3] = if edited[3] == b'a' { b'b' } else { b'a' };
        assert!(decode("q1", &String::from_utf8(edited).unwrap()).is_err());
        for garbage in ["", ".", "abc", "abc.def", "0OIl.xyz", &"x".repeat(5000)] {
            assert!(decode("q1", garbage).is_err(), "{garbage}");
        }
    }
}
