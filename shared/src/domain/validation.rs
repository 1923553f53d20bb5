//! What is wrong with one field of a request or a definition, in words a user can act on.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One invalid field: a JSON path (`messages[0].content`) and what to fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
