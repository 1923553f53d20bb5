//! Keys of stored files. Keys are Agora's own (`icon-<uuid>`), never file names from
//! users, so a key can name neither a path outside its folder nor a header it breaks.

/// Whether `key` is a key Agora makes: 1 to 80 lower-case letters, digits and hyphens.
pub fn is_blob_key(key: &str) -> bool {
    (1..=80).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
