//! `/v1/admin/*`: what only administrators may see. No route here (or anywhere) creates
//! or promotes an administrator: that is the `agora admin create` command's alone.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{SignedInAdmin, query::StrictQuery};
use crate::services::accounts::AuditEntryView;
use crate::{AppState, Error, api::problem::Problem};

/// Largest page of the audit log.
pub const MAX_AUDIT_PAGE: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditLogQuery {
    /// Only actions by this user.
    pub actor_id: Option<Uuid>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100; 50 when absent.
    pub limit: Option<usize>,
}

/// One page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogPage {
    pub entries: Vec<AuditEntryView>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// The audit log: sign-ups, sign-ins, key and password changes, refresh-token reuse.
#[utoipa::path(
    get,
    path = "/v1/admin/audit-log",
    tag = "admin",
    operation_id = "list_audit_log",
    summary = "Read the audit log (administrators)",
    params(AuditLogQuery),
    responses(
        (status = 200, description = "One page, newest first", body = AuditLogPage),
        (status = 422, description = "A bad cursor, limit or actor id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_audit_log(
    State(state): State<AppState>,
    SignedInAdmin(caller): SignedInAdmin,
    StrictQuery(query): StrictQuery<AuditLogQuery>,
) -> Result<axum::Json<AuditLogPage>, Error> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            format!("must be 1 to {MAX_AUDIT_PAGE}"),
        ));
    }
    let before = query
        .cursor
        .as_deref()
        .map(|cursor| {
            cursor
                .strip_prefix("a")
                .and_then(|id| id.parse::<i64>().ok())
                .ok_or_else(|| Error::invalid("cursor", "is not a cursor from a previous page"))
        })
        .transpose()?;
    let entries = state
        .accounts()?
        .list_audit(&caller, query.actor_id, before, limit)
        .await?;
    let next_cursor = (entries.len() == limit)
        .then(|| entries.last().map(|entry| format!("a{}", entry.id)))
        .flatten();
    Ok(axum::Json(AuditLogPage {
        entries: entries.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}
