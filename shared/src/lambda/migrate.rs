//! The `migrate` function: the migrations applied on every deploy, by a CloudFormation
//! custom resource inside the VPC (the owner's login and the answer's delivery are in
//! [`crate::bootstrap::deploy`]). Nobody needs a machine that reaches the database to
//! deploy.

use serde::Deserialize;
use serde_json::{Value, json};

/// The one physical resource the custom resource stands for.
pub const PHYSICAL_ID: &str = "agora-database-migrations";

/// What CloudFormation sends a custom resource's function (the fields Agora reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomResourceEvent {
    /// `Create`, `Update` or `Delete`.
    pub request_type: String,
    #[serde(rename = "ResponseURL")]
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    #[serde(default)]
    pub physical_resource_id: Option<String>,
}

/// CloudFormation's answer to `event`: on create and update the migrations run (`migrate`
/// says how many it applied, or why it failed); a delete leaves the schema to the database.
pub async fn answer(
    event: &CustomResourceEvent,
    migrate: impl Future<Output = Result<usize, String>>,
) -> Value {
    let (status, reason, data) = match event.request_type.as_str() {
        "Delete" => (
            "SUCCESS",
            "Nothing to undo: the schema stays with the database.".to_owned(),
            json!({}),
        ),
        _ => match migrate.await {
            Ok(applied) => (
                "SUCCESS",
                format!("{applied} migrations applied."),
                json!({ "Applied": applied }),
            ),
            Err(reason) => ("FAILED", reason, json!({})),
        },
    };
    json!({
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": event.physical_resource_id.as_deref().unwrap_or(PHYSICAL_ID),
        "StackId": event.stack_id,
        "RequestId": event.request_id,
        "LogicalResourceId": event.logical_resource_id,
        "Data": data,
    })
}

/// The response URL, when it is CloudFormation's: https on an Amazon S3 host. The event
/// comes from CloudFormation alone (the function's resource policy), but its URL is still
/// checked before anything is sent there.
pub fn response_url(raw: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw).map_err(|_| "the ResponseURL is not a URL".to_owned())?;
    let host = url.host_str().unwrap_or_default();
    let amazon = host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
    if url.scheme() != "https" || !amazon {
        return Err("the ResponseURL is not an https URL on an amazonaws.com host".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(request_type: &str) -> CustomResourceEvent {
        CustomResourceEvent {
            request_type: request_type.into(),
            response_url:
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/agora/1".into(),
            request_id: "request-1".into(),
            logical_resource_id: "DatabaseMigrations".into(),
            physical_resource_id: None,
        }
    }

    #[tokio::test]
    async fn create_and_update_migrate_and_say_how_it_went() {
        let done = answer(&event("Create"), async { Ok(3) }).await;
        assert_eq!(done["Status"], "SUCCESS");
        assert_eq!(done["Data"]["Applied"], 3);
        assert_eq!(done["PhysicalResourceId"], PHYSICAL_ID);
        assert_eq!(done["RequestId"], "request-1");
        let failed = answer(&event("Update"), async {
            Err("no route to the database".into())
        })
        .await;
        assert_eq!(failed["Status"], "FAILED");
        assert_eq!(failed["Reason"], "no route to the database");
    }

    #[tokio::test]
    async fn a_delete_leaves_the_schema_alone() {
        let migrated = std::sync::atomic::AtomicBool::new(false);
        let done = answer(&event("Delete"), async {
            migrated.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(1)
        })
        .await;
        assert_eq!(done["Status"], "SUCCESS");
        assert!(!migrated.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn answers_go_to_cloudformations_s3_urls_only() {
        assert!(
            response_url("https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/a?X-Amz-Signature=b").is_ok()
        );
        for refused in [
            "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
            "https://attacker.example/x",
            "https://127.0.0.1/x",
            "https://amazonaws.com.attacker.example/x",
            "not a url",
        ] {
            assert!(response_url(refused).is_err(), "{refused}");
        }
    }
}
