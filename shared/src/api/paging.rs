//! Page sizes of the listings that page with `limit` (and an opaque cursor).

use crate::Error;

/// Items on a page unless `limit` says otherwise, and the most it may ask for.
pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// The page size a `limit` parameter asks for, or a 422 saying what is allowed.
pub fn page_size(limit: Option<usize>) -> Result<usize, Error> {
    match limit {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(limit @ 1..=MAX_PAGE_SIZE) => Ok(limit),
        Some(_) => Err(Error::invalid(
            "limit",
            format!("must be 1 to {MAX_PAGE_SIZE}"),
        )),
    }
}
