//! `/v1/uploads` and `/v1/blobs`: upload forms for icons and avatars, the local upload
//! endpoint (no S3 configured), and serving verified files safely.

use axum::{
    extract::{Multipart, Path, State},
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{SignedIn, json::StrictJson};
use crate::{
    AppState, Error,
    api::problem::Problem,
    ports::{PostedForm, UploadPurpose},
    services::uploads::UploadTicket,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    pub purpose: UploadPurpose,
    /// `image/png`, `image/jpeg` or `image/webp`.
    pub content_type: String,
    /// The file's size in bytes: at most 256 KiB for icons, 512 KiB for avatars.
    pub size: u64,
}

/// A form to upload an icon or an avatar straight to storage.
#[utoipa::path(
    post,
    path = "/v1/uploads",
    tag = "uploads",
    operation_id = "create_upload",
    summary = "Get a form to upload an icon or avatar",
    description = "Post the file as multipart/form-data to `form.url` with `form.fields` first (in order) and the file last as `file`. Then use `key` as an agent's `icon` or your `avatar`; Agora checks the stored file then (size, and that its bytes are the declared image type).",
    request_body = UploadRequest,
    responses(
        (status = 201, description = "The form and the key", body = UploadTicket),
        (status = 422, description = "A type other than PNG, JPEG or WebP, or a size over the limit", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_upload(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictJson(request): StrictJson<UploadRequest>,
) -> Result<Response, Error> {
    let ticket = state
        .uploads()?
        .request_upload(
            &caller,
            request.purpose,
            &request.content_type,
            request.size,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(ticket),
    )
        .into_response())
}

/// The local blob store's upload endpoint (only without `S3_BUCKET`).
#[utoipa::path(
    post,
    path = "/v1/uploads/local",
    tag = "uploads",
    operation_id = "upload_local_file",
    summary = "Upload a file to the local store (the form's target)",
    description = "The `url` of upload forms when Agora keeps files in its local folder. The form's signed fields authorize the upload; 404 when Agora stores files in S3.",
    request_body(content_type = "multipart/form-data", description = "The form's fields, then `file`"),
    responses(
        (status = 204, description = "Stored"),
        (status = 403, description = "The form is not genuine or expired", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is over the form's limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing field, or a file of another type", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload_local_file(
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> Result<StatusCode, Error> {
    let uploads = state.uploads()?;
    if !uploads.accepts_posted_files() {
        return Err(Error::NotFound(
            "Files are stored in S3 here; post the form to its url.".into(),
        ));
    }
    let mut upload = PostedForm::default();
    let malformed = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::PayloadTooLarge {
                limit: state.http().body_limit_bytes,
            }
        } else {
            Error::MalformedBody(format!("The form could not be read: {}", error.body_text()))
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let content_type = field.content_type().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(malformed)?;
            uploads
                .accept_posted(&upload, &content_type, &bytes)
                .await?;
            return Ok(StatusCode::NO_CONTENT);
        }
        let value = field.text().await.map_err(malformed)?;
        let number = |field: &str| {
            value
                .parse::<i64>()
                .map_err(|_| Error::invalid(field, "must be a number"))
        };
        match name.as_str() {
            "key" => upload.key = value,
            "content_type" => upload.content_type = value,
            "max_bytes" => upload.max_bytes = u64::try_from(number("max_bytes")?).unwrap_or(0),
            "expires" => upload.expires = number("expires")?,
            "token" => upload.token = value,
            other => return Err(Error::invalid(other, "is not a field of upload forms")),
        }
    }
    Err(Error::invalid(
        "file",
        "is required, after the form's fields",
    ))
}

/// A verified icon or avatar.
#[utoipa::path(
    get,
    path = "/v1/blobs/{key}",
    tag = "uploads",
    operation_id = "get_blob",
    summary = "An uploaded icon or avatar",
    description = "Served as a download (`Content-Disposition: attachment`) with `X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy; images still display in `<img>`.",
    params(("key" = String, Path)),
    responses(
        (status = 200, description = "The file", content_type = "image/png"),
        (status = 404, description = "No verified file has this key", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_blob(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, Error> {
    let file = state.uploads()?.serve(&key).await?;
    let mut response = (StatusCode::OK, file.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.content_type)
            .map_err(|error| Error::Internal(error.to_string()))?,
    );
    // The key is Agora's own (checked above), so it is safe in a header.
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{key}\""))
            .map_err(|error| Error::Internal(error.to_string()))?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    // Keys are never reused, so a file never changes.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}
