//! Reviews: only after a completed run, one per user (editable), creators reply, anyone
//! reports; the Bayesian rating orders "top rated".

use http::StatusCode;
use serde_json::json;

use crate::{
    llm_stub::LlmStub,
    runs::{app_with_stub, published_on},
};

#[tokio::test]
async fn only_users_who_ran_an_agent_review_it_once_and_the_creator_replies() {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |_| {}).await;
    let (creator, address) = published_on(&app, "agora", "echo", "0").await;
    let user = app.with_user().await;
    let review_path = format!("/v1/agents/{address}/reviews/mine");
    app.call(
        "PUT",
        &review_path,
        Some(&user.access_token),
        Some(json!({ "rating": 5, "body": "Great" })),
    )
    .await
    .problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("reviews", "true").await, 0);

    let reviews_path = format!("/v1/agents/{address}/reviews");
    let before = app
        .call("GET", &reviews_path, Some(&user.access_token), None)
        .await
        .json();
    assert_eq!(before["can_review"], false, "not before a completed run");
    let ran = app
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "hi" })),
        )
        .await;
    assert_eq!(ran.status, StatusCode::OK);
    let after = app
        .call("GET", &reviews_path, Some(&user.access_token), None)
        .await
        .json();
    assert_eq!(after["can_review"], true);
    assert_eq!(after["mine"], serde_json::Value::Null);
    for bad in [
        json!({ "rating": 0 }),
        json!({ "rating": 6 }),
        json!({ "rating": 4, "body": "x".repeat(5001) }),
    ] {
        app.call("PUT", &review_path, Some(&user.access_token), Some(bad))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }
    let review = app
        .call(
            "PUT",
            &review_path,
            Some(&user.access_token),
            Some(json!({ "rating": 4, "body": "Useful" })),
        )
        .await;
    assert_eq!(review.status, StatusCode::OK, "{:?}", review.body);
    let edited = app
        .call(
            "PUT",
            &review_path,
            Some(&user.access_token),
            Some(json!({ "rating": 5, "body": "Very useful" })),
        )
        .await
        .json();
    assert_eq!(
        edited["id"],
        review.json()["id"],
        "one review per user, edited in place"
    );
    app.call(
        "PUT",
        &review_path,
        Some(&creator.access_token),
        Some(json!({ "rating": 5 })),
    )
    .await
    .problem(StatusCode::FORBIDDEN, "forbidden");

    let id = edited["id"].as_str().unwrap();
    let reply_path = format!("/v1/agents/{address}/reviews/{id}/reply");
    app.call(
        "PUT",
        &reply_path,
        Some(&user.access_token),
        Some(json!({ "reply": "me too" })),
    )
    .await
    .problem(StatusCode::FORBIDDEN, "forbidden");
    let replied = app
        .call(
            "PUT",
            &reply_path,
            Some(&creator.access_token),
            Some(json!({ "reply": "Thank you!" })),
        )
        .await
        .json();
    assert_eq!(replied["reply"], "Thank you!");

    let reporter = app.with_user().await;
    let report_path = format!("/v1/agents/{address}/reviews/{id}/reports");
    for _ in 0..2 {
        let reported = app
            .call(
                "POST",
                &report_path,
                Some(&reporter.access_token),
                Some(json!({ "reason": "Off topic" })),
            )
            .await;
        assert_eq!(reported.status, StatusCode::ACCEPTED);
    }
    assert_eq!(
        app.count("reviews", "report_count = 1").await,
        1,
        "one report per person"
    );
    app.call(
        "POST",
        &format!(
            "/v1/agents/{address}/reviews/{}/reports",
            uuid::Uuid::new_v4()
        ),
        Some(&reporter.access_token),
        Some(json!({ "reason": "x" })),
    )
    .await
    .problem(StatusCode::NOT_FOUND, "not-found");

    let own = app
        .call("GET", &reviews_path, Some(&user.access_token), None)
        .await
        .json();
    assert_eq!(own["mine"]["body"], "Very useful");
    let creators = app
        .call("GET", &reviews_path, Some(&creator.access_token), None)
        .await
        .json();
    assert_eq!(
        creators["can_review"], false,
        "creators never review their own agents"
    );
    let listed = app.get(&reviews_path).await.json();
    assert_eq!(listed["rating"]["count"], 1);
    assert_eq!(listed["rating"]["average"], 5.0);
    assert_eq!(listed["reviews"][0]["body"], "Very useful");
    assert_eq!(listed["reviews"][0]["reply"], "Thank you!");
}

#[tokio::test]
async fn top_rated_orders_by_the_bayesian_rating_and_trending_counts_runners() {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, loved) = published_on(&app, "agora", "echo", "0").await;
    let (_, liked) = published_on(&app, "agora", "echo", "0").await;
    let (_, unrated) = published_on(&app, "agora", "echo", "0").await;
    let mut reviewers = Vec::new();
    for _ in 0..3 {
        reviewers.push(app.with_user().await);
    }
    // "loved": three 5-star reviews; "liked": one 5-star review (fewer votes, lower score).
    for (index, user) in reviewers.iter().enumerate() {
        for address in [&loved, &liked] {
            if address == &liked && index > 0 {
                continue;
            }
            app.call(
                "POST",
                "/v1/runs",
                Some(&user.access_token),
                Some(json!({ "agent": address, "input": "hi" })),
            )
            .await;
            let review = app
                .call(
                    "PUT",
                    &format!("/v1/agents/{address}/reviews/mine"),
                    Some(&user.access_token),
                    Some(json!({ "rating": 5 })),
                )
                .await;
            assert_eq!(review.status, StatusCode::OK);
        }
    }
    let listing = app.get("/v1/agents?sort=top_rated").await.json();
    let order: Vec<&str> = listing["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["address"].as_str().unwrap())
        .collect();
    let position = |address: &str| order.iter().position(|a| *a == address).unwrap();
    assert!(position(&loved) < position(&liked));
    assert!(position(&liked) < position(&unrated));
    // Trending: distinct users who ran the agent over the week.
    let trending = app.get("/v1/agents?sort=trending").await.json();
    assert_eq!(trending["agents"][0]["address"], loved.as_str());
}
