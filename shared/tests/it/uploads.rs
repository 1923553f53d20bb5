//! Icons and avatars: the `BlobStore` contract on moto's S3 and on the local folder, the
//! presigned POST policy, verification after upload, and safe serving (RELIABILITY 25).

use agora::{
    adapters::{local::blobs::FolderBlobStore, s3::S3BlobStore},
    ports::{BlobArea, BlobStore, DirectUploads, PostedForm, UploadForm},
};
use axum::body::Body;
use base64::Engine;
use http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, TestResponse, TestUser, agent_spec};

/// A tiny but genuine PNG (the signature and an IHDR chunk are all the check reads).
fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(size, 0);
    bytes
}

const SVG_WITH_SCRIPT: &[u8] =
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";

/// multipart/form-data: the form's fields in order, then the file.
fn multipart(form: &UploadForm, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("agora-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for field in &form.fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n",
                field.name, field.value
            )
            .bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\nContent-Type: {content_type}\r\n\r\n").bytes());
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a form to S3 (moto) over HTTP.
async fn post_to_s3(form: &UploadForm, content_type: &str, bytes: &[u8]) -> StatusCode {
    let (header, body) = multipart(form, content_type, bytes);
    let status = reqwest::Client::new()
        .post(&form.url)
        .header("content-type", header)
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    StatusCode::from_u16(status.as_u16()).unwrap()
}

/// Posts a form to Agora's local upload route.
async fn post_to_agora(
    app: &TestApp,
    form: &UploadForm,
    content_type: &str,
    bytes: &[u8],
) -> TestResponse {
    let (header, body) = multipart(form, content_type, bytes);
    app.send(
        Request::post(&form.url)
            .header("content-type", header)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

async fn s3_store() -> S3BlobStore {
    let sdk = agora::adapters::aws::load_sdk_config().await;
    let bucket = format!("agora-test-{}", uuid::Uuid::new_v4().simple());
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    S3BlobStore::new(
        &sdk,
        &bucket,
        Some(&std::env::var("AWS_ENDPOINT_URL").unwrap()),
    )
}

/// What both stores do once a form was posted: the file waits in the incoming area (where
/// an unclaimed one expires) until it is kept; head, read and delete in each area.
async fn contract_after_upload(store: &dyn BlobStore, key: &str, bytes: &[u8]) {
    use BlobArea::{Incoming, Kept};
    let info = store.head(Incoming, key).await.unwrap().expect("stored");
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(info.content_type.as_deref(), Some("image/png"));
    assert_eq!(store.head(Kept, key).await.unwrap(), None, "not kept yet");
    assert_eq!(
        store.read(Incoming, key, 1 << 20).await.unwrap().unwrap(),
        bytes
    );
    store.keep(key).await.unwrap();
    assert_eq!(store.head(Incoming, key).await.unwrap(), None, "moved");
    assert_eq!(store.head(Kept, key).await.unwrap(), Some(info));
    assert_eq!(
        store.read(Kept, key, 1 << 20).await.unwrap().unwrap(),
        bytes
    );
    assert!(
        store.read(Kept, key, 4).await.is_err(),
        "reads refuse objects over the limit"
    );
    store.delete(Kept, key).await.unwrap();
    assert_eq!(store.head(Kept, key).await.unwrap(), None);
    assert_eq!(store.read(Kept, key, 1 << 20).await.unwrap(), None);
    store
        .delete(Kept, key)
        .await
        .expect("deleting twice is fine");
    store
        .delete(Incoming, key)
        .await
        .expect("deleting what is not there is fine");
}

#[tokio::test]
async fn the_s3_store_meets_the_contract_through_a_presigned_post() {
    let store = s3_store().await;
    let key = format!("icon-{}", uuid::Uuid::new_v4().simple());
    let expires = chrono::Utc::now() + chrono::Duration::minutes(10);
    let form = store
        .upload_form(&key, "image/png", 1000, expires)
        .await
        .unwrap();
    assert!(
        form.url
            .ends_with(&format!("/{}", form.url.rsplit('/').next().unwrap()))
    );
    let bytes = png(300);
    assert_eq!(
        post_to_s3(&form, "image/png", &bytes).await,
        StatusCode::NO_CONTENT
    );
    contract_after_upload(&store, &key, &bytes).await;
}

#[tokio::test]
async fn the_s3_post_policy_pins_key_type_size_and_expiry_and_is_signed() {
    let store = s3_store().await;
    let expires = chrono::Utc::now() + chrono::Duration::minutes(10);
    let form = store
        .upload_form("icon-abc", "image/webp", 4096, expires)
        .await
        .unwrap();
    let field = |name: &str| {
        form.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.clone())
            .unwrap()
    };
    let names: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "key",
            "Content-Type",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
            "policy",
            "x-amz-signature"
        ]
    );
    let policy: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(field("policy"))
            .unwrap(),
    )
    .unwrap();
    let conditions = policy["conditions"].as_array().unwrap();
    assert!(conditions.contains(&json!(["eq", "$key", "uploads/incoming/icon-abc"])));
    assert!(conditions.contains(&json!(["eq", "$Content-Type", "image/webp"])));
    assert!(conditions.contains(&json!(["content-length-range", 1, 4096])));
    assert_eq!(
        policy["expiration"],
        expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    // SigV4 for POST: HMAC-SHA256 chain over date, region, service, "aws4_request", then the
    // base64 policy; computed here independently of the adapter's signing crate.
    let credential = field("x-amz-credential");
    let parts: Vec<&str> = credential.split('/').collect();
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap();
    let sign = |key: &[u8], data: &str| {
        aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key),
            data.as_bytes(),
        )
        .as_ref()
        .to_vec()
    };
    let key = [parts[1], parts[2], parts[3], "aws4_request"]
        .iter()
        .fold(format!("AWS4{secret}").into_bytes(), |key, part| {
            sign(&key, part)
        });
    let expected: String = sign(&key, &field("policy"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(field("x-amz-signature"), expected);
}

#[tokio::test]
async fn the_folder_store_meets_the_contract_through_its_signed_form() {
    let home = tempfile::tempdir().unwrap();
    let store = FolderBlobStore::new(home.path().join("blobs")).unwrap();
    let key = format!("icon-{}", uuid::Uuid::new_v4().simple());
    let expires = chrono::Utc::now() + chrono::Duration::minutes(10);
    let form = store
        .upload_form(&key, "image/png", 1000, expires)
        .await
        .unwrap();
    assert_eq!(form.url, "/v1/uploads/local");
    let bytes = png(300);
    let upload = PostedForm {
        key: key.clone(),
        content_type: "image/png".into(),
        max_bytes: 1000,
        expires: expires.timestamp(),
        token: form
            .fields
            .iter()
            .find(|f| f.name == "token")
            .unwrap()
            .value
            .clone(),
    };
    store
        .accept(&upload, "image/png", &bytes, chrono::Utc::now())
        .await
        .unwrap();
    contract_after_upload(&store, &key, &bytes).await;
    let forged = PostedForm {
        max_bytes: 10_000_000,
        ..upload.clone()
    };
    assert!(matches!(
        store
            .accept(&forged, "image/png", &bytes, chrono::Utc::now())
            .await,
        Err(agora::Error::Forbidden(_))
    ));
    let late = chrono::Utc::now() + chrono::Duration::minutes(11);
    assert!(matches!(
        store.accept(&upload, "image/png", &bytes, late).await,
        Err(agora::Error::Forbidden(_))
    ));
    assert!(matches!(
        store
            .accept(&upload, "image/png", &png(1001), chrono::Utc::now())
            .await,
        Err(agora::Error::PayloadTooLarge { .. })
    ));
}

async fn ticket(
    app: &TestApp,
    user: &TestUser,
    purpose: &str,
    content_type: &str,
    size: u64,
) -> TestResponse {
    app.call(
        "POST",
        "/v1/uploads",
        Some(&user.access_token),
        Some(json!({ "purpose": purpose, "content_type": content_type, "size": size })),
    )
    .await
}

fn form_of(ticket: &Value) -> UploadForm {
    UploadForm {
        url: ticket["form"]["url"].as_str().unwrap().to_owned(),
        fields: ticket["form"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| agora::ports::FormField {
                name: f["name"].as_str().unwrap().to_owned(),
                value: f["value"].as_str().unwrap().to_owned(),
            })
            .collect(),
    }
}

#[tokio::test]
async fn an_icon_is_uploaded_verified_used_and_served_as_a_safe_download() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    let issued = ticket(&app, &owner, "agent_icon", "image/png", 2048).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    let issued = issued.json();
    let key = issued["key"].as_str().unwrap().to_owned();
    assert_eq!(issued["max_bytes"], 256 * 1024);
    let bytes = png(2048);
    let posted = post_to_agora(&app, &form_of(&issued), "image/png", &bytes).await;
    assert_eq!(posted.status, StatusCode::NO_CONTENT, "{:?}", posted.body);
    app.call("GET", &format!("/v1/blobs/{key}"), None, None)
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");

    let mut spec = agent_spec("Iconic", "Has an icon");
    spec["icon"] = json!(key);
    let address = app.published_agent(&owner, spec).await;
    let card = app.call("GET", "/v1/agents", None, None).await.json();
    assert_eq!(card["agents"][0]["icon"], key);
    let served = app
        .call("GET", &format!("/v1/blobs/{key}"), None, None)
        .await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body.as_ref(), bytes.as_slice());
    assert_eq!(served.header("content-type"), "image/png");
    assert!(
        served
            .header("content-disposition")
            .starts_with("attachment;")
    );
    assert_eq!(served.header("x-content-type-options"), "nosniff");
    assert!(served.header("content-security-policy").contains("sandbox"));

    let other = app.with_user().await;
    let mut stolen = agent_spec("Thief", "Uses someone's icon");
    stolen["icon"] = json!(key);
    let refused = app
        .call(
            "POST",
            "/v1/agents",
            Some(&other.access_token),
            Some(json!({ "definition": stolen })),
        )
        .await;
    assert_eq!(
        refused.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "definition.icon"
    );
    assert!(address.ends_with("/iconic"));
}

#[tokio::test]
async fn size_and_type_limits_hold_before_and_after_upload() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let limit = 256 * 1024;
    assert_eq!(
        ticket(&app, &user, "agent_icon", "image/png", limit)
            .await
            .status,
        StatusCode::CREATED
    );
    for (content_type, size, field) in [
        ("image/png", limit + 1, "size"),
        ("image/png", 0, "size"),
        ("image/svg+xml", 100, "content_type"),
        ("text/html", 100, "content_type"),
    ] {
        let refused = ticket(&app, &user, "agent_icon", content_type, size).await;
        assert_eq!(
            refused.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
            field
        );
    }
    let issued = ticket(&app, &user, "avatar", "image/png", 100).await.json();
    let form = form_of(&issued);
    let over = post_to_agora(&app, &form, "image/png", &png(512 * 1024 + 1)).await;
    over.problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    let wrong_type = post_to_agora(&app, &form, "image/jpeg", &png(100)).await;
    wrong_type.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    // An SVG with a script, declared as PNG, is stored and then refused at use, and deleted.
    assert_eq!(
        post_to_agora(&app, &form, "image/png", SVG_WITH_SCRIPT)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let key = issued["key"].as_str().unwrap();
    let refused = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "avatar": key })),
        )
        .await;
    let problem = refused.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(problem["errors"][0]["field"], "avatar");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a image/png")
    );
    assert_eq!(
        app.count("uploads", &format!("key = '{key}'")).await,
        0,
        "the record is gone"
    );
    app.call("GET", &format!("/v1/blobs/{key}"), None, None)
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");

    let good = ticket(&app, &user, "avatar", "image/png", 100).await.json();
    post_to_agora(&app, &form_of(&good), "image/png", &png(100)).await;
    let key = good["key"].as_str().unwrap();
    let me = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "avatar": key })),
        )
        .await;
    assert_eq!(me.json()["avatar"], key);
    for bad in ["../etc/passwd", "ICON", "icon-%2e%2e"] {
        let response = app
            .call("GET", &format!("/v1/blobs/{bad}"), None, None)
            .await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn with_s3_an_oversized_upload_is_refused_at_use_and_deleted() {
    let store = s3_store().await;
    let bucket = store_bucket(&store);
    let app = TestApp::with_config(|config| {
        config.aws.s3_bucket = Some(bucket);
        config.aws.endpoint_url = Some(std::env::var("AWS_ENDPOINT_URL").unwrap());
    })
    .await;
    let user = app.with_user().await;
    let issued = ticket(&app, &user, "avatar", "image/png", 100).await.json();
    let form = form_of(&issued);
    assert!(form.url.starts_with("http"), "the form posts to S3");
    // moto does not enforce content-length-range, so the file lands; the check after upload
    // is what refuses it (real S3 refuses it at the POST already).
    assert_eq!(
        post_to_s3(&form, "image/png", &png(512 * 1024 + 1)).await,
        StatusCode::NO_CONTENT
    );
    let key = issued["key"].as_str().unwrap();
    let refused = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "avatar": key })),
        )
        .await;
    assert!(
        refused.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("the limit is 524288")
    );
    assert_eq!(
        store.head(BlobArea::Incoming, key).await.unwrap(),
        None,
        "the oversized object is deleted"
    );

    let at_limit = ticket(&app, &user, "avatar", "image/png", 100).await.json();
    assert_eq!(
        post_to_s3(&form_of(&at_limit), "image/png", &png(512 * 1024)).await,
        StatusCode::NO_CONTENT
    );
    let key = at_limit["key"].as_str().unwrap();
    let accepted = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "avatar": key })),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    let served = app
        .call("GET", &format!("/v1/blobs/{key}"), None, None)
        .await;
    assert_eq!(served.body.len(), 512 * 1024);
}

fn store_bucket(store: &S3BlobStore) -> String {
    store.bucket().to_owned()
}

/// Issue 15: an upload nobody claims is forgotten after a day, record and file, by the
/// maintenance job (the bucket's lifecycle rule also expires it in S3); a claimed one
/// stays, and a claim that comes too late is told to upload again.
#[tokio::test]
async fn uploads_nobody_claimed_are_forgotten_after_a_day() {
    let clock = crate::accounts::TestClock::new();
    let app = TestApp::with_config_and_overrides(
        |_| {},
        agora::bootstrap::Overrides {
            clock: Some(std::sync::Arc::new(clock.clone())),
            ..Default::default()
        },
    )
    .await;
    let owner = app.with_user().await;
    let mut keys = Vec::new();
    for _ in 0..2 {
        let issued = ticket(&app, &owner, "avatar", "image/png", 100)
            .await
            .json();
        let posted = post_to_agora(&app, &form_of(&issued), "image/png", &png(100)).await;
        assert_eq!(posted.status, StatusCode::NO_CONTENT, "{:?}", posted.body);
        keys.push(issued["key"].as_str().unwrap().to_owned());
    }
    let (claimed, abandoned) = (&keys[0], &keys[1]);
    let used = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&owner.access_token),
            Some(json!({ "avatar": claimed })),
        )
        .await;
    assert_eq!(used.status, StatusCode::OK, "{:?}", used.body);
    let maintenance = app.state.maintenance().unwrap();
    assert_eq!(
        maintenance.run().await.unwrap().unclaimed_uploads_forgotten,
        0,
        "a fresh upload waits for its claim"
    );

    clock.advance(25 * 3600);
    assert_eq!(
        maintenance.run().await.unwrap().unclaimed_uploads_forgotten,
        1
    );
    assert_eq!(
        maintenance.run().await.unwrap().unclaimed_uploads_forgotten,
        0,
        "once"
    );
    let blobs = app.config.local.home.join("blobs");
    assert!(
        !blobs.join("incoming").join(abandoned).exists(),
        "its file is gone"
    );
    assert!(blobs.join(claimed).exists(), "the claimed file is kept");
    let session = app.login(&owner.email, &owner.password).await.json();
    let owner = TestUser::from_session(&owner.email, &owner.password, &session);
    let late = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&owner.access_token),
            Some(json!({ "avatar": abandoned })),
        )
        .await;
    assert!(
        late.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("upload it with POST /v1/uploads")
    );
    let served = app
        .call("GET", &format!("/v1/blobs/{claimed}"), None, None)
        .await;
    assert_eq!(served.status, StatusCode::OK);
}

/// Issue 16: a Lambda function is built with the adapters its needs name and no others.
/// The maintenance job deletes the files of abandoned uploads, so its function needs the
/// bucket: built for its needs it forgets a day-old unclaimed upload in S3, file included;
/// built for the database alone (what it declared before) it reaches no bucket and says
/// which need is missing.
#[tokio::test]
async fn the_maintenance_function_built_for_its_needs_deletes_abandoned_files_in_s3() {
    use agora::{AppState, api::Need, lambda::event_needs};

    let store = s3_store().await;
    let app = TestApp::with_config(|config| {
        config.aws.s3_bucket = Some(store_bucket(&store));
        config.aws.endpoint_url = Some(std::env::var("AWS_ENDPOINT_URL").unwrap());
    })
    .await;
    let user = app.with_user().await;
    let (database, connection) =
        tokio_postgres::connect(app.database_url.as_ref().unwrap(), tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(connection);
    let abandon = || async {
        let issued = ticket(&app, &user, "avatar", "image/png", 100).await.json();
        assert_eq!(
            post_to_s3(&form_of(&issued), "image/png", &png(100)).await,
            StatusCode::NO_CONTENT
        );
        let key = issued["key"].as_str().unwrap().to_owned();
        database
            .execute(
                "UPDATE uploads SET created_at = now() - interval '25 hours' WHERE key = $1",
                &[&key],
            )
            .await
            .unwrap();
        key
    };

    abandon().await;
    const DATABASE_ALONE: u32 = agora::api::NeedSet::of(&[Need::Database]).bits();
    let without_bucket = AppState::build_for::<DATABASE_ALONE>(app.config.clone())
        .await
        .unwrap();
    let refused = agora::lambda::maintain(&without_bucket).await.unwrap_err();
    assert!(
        format!("{refused:?}").contains("without the need Uploads"),
        "{refused:?}"
    );

    let key = abandon().await;
    let function = AppState::build_for::<{ event_needs::MAINTENANCE.bits() }>(app.config.clone())
        .await
        .unwrap();
    let report = agora::lambda::maintain(&function).await.unwrap();
    assert_eq!(report["unclaimed_uploads_forgotten"], 1, "{report}");
    assert!(
        store
            .head(BlobArea::Incoming, &key)
            .await
            .unwrap()
            .is_none(),
        "its file is gone from the bucket"
    );
}
