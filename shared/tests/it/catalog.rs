//! The marketplace catalog: drafts and immutable versions, who sees what, search, filters,
//! pages, libraries, forks, delisting, import/export and caching (issue 4; RELIABILITY 1,
//! 3, 20, 26).

use http::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, TestUser, agent_spec};

fn ids_of(page: &Value) -> Vec<String> {
    page["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| card["address"].as_str().unwrap().to_owned())
        .collect()
}

async fn listing(app: &TestApp, query: &str) -> Value {
    let response = app
        .call("GET", &format!("/v1/agents?{query}"), None, None)
        .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{query}: {:?}",
        String::from_utf8_lossy(&response.body)
    );
    response.json()
}

#[tokio::test]
async fn a_draft_is_the_owners_alone_until_published() {
    let app = TestApp::spawn().await;
    let (owner, other) = (app.with_user().await, app.with_user().await);
    let address = app
        .create_agent(
            &owner,
            agent_spec("Meeting Notes", "Turns transcripts into notes"),
        )
        .await;
    assert!(
        address.ends_with("/meeting-notes"),
        "the slug comes from the name: {address}"
    );

    let mine = app
        .call(
            "GET",
            &format!("/v1/agents/{address}"),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    let body = mine.json();
    assert_eq!(body["agent"]["status"], "draft");
    assert_eq!(body["draft"]["name"], "Meeting Notes");
    assert!(body["latest"].is_null());

    let missing = app
        .call("GET", "/v1/agents/nobody/nothing", None, None)
        .await;
    let missing = missing.problem(StatusCode::NOT_FOUND, "not-found");
    for token in [None, Some(other.access_token.as_str())] {
        let response = app
            .call("GET", &format!("/v1/agents/{address}"), token, None)
            .await;
        let problem = response.problem(StatusCode::NOT_FOUND, "not-found");
        assert_eq!(
            problem["detail"], missing["detail"],
            "a draft is as missing as nothing"
        );
    }
    assert_eq!(listing(&app, "").await["agents"], json!([]));

    assert_eq!(app.publish(&owner, &address, "first release").await, 1);
    let public = app
        .call(
            "GET",
            &format!("/v1/agents/{address}"),
            Some(&other.access_token),
            None,
        )
        .await;
    assert_eq!(public.status, StatusCode::OK);
    let body = public.json();
    assert_eq!(body["agent"]["status"], "published");
    assert_eq!(body["latest"]["version"], 1);
    assert_eq!(body["latest"]["changelog"], "first release");
    assert!(body["draft"].is_null(), "only the owner sees the draft");
    assert_eq!(ids_of(&listing(&app, "").await), [address]);
}

#[tokio::test]
async fn published_versions_are_immutable_and_latest_can_roll_back() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    let address = app
        .published_agent(&owner, agent_spec("Tone Fixer", "Makes emails friendlier"))
        .await;
    let edit = app
        .call(
            "PATCH",
            &format!("/v1/agents/{address}/versions/1"),
            Some(&owner.access_token),
            Some(json!({ "definition": agent_spec("Hacked", "changed") })),
        )
        .await;
    edit.problem(StatusCode::CONFLICT, "conflict");

    let mut v2 = agent_spec("Tone Fixer", "Makes emails friendlier and shorter");
    v2["tags"] = json!(["email", "tone"]);
    let updated = app
        .call(
            "PATCH",
            &format!("/v1/agents/{address}"),
            Some(&owner.access_token),
            Some(json!({ "definition": v2 })),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(
        updated.json()["latest"]["spec"]["summary"],
        "Makes emails friendlier",
        "the draft is not live"
    );
    assert_eq!(app.publish(&owner, &address, "shorter").await, 2);
    let versions = app
        .call("GET", &format!("/v1/agents/{address}/versions"), None, None)
        .await
        .json();
    let numbers: Vec<i64> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    let v1 = app
        .call(
            "GET",
            &format!("/v1/agents/{address}/versions/1"),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(
        v1["spec"]["summary"], "Makes emails friendlier",
        "version 1 never changed"
    );

    let rolled = app
        .call(
            "PUT",
            &format!("/v1/agents/{address}/latest"),
            Some(&owner.access_token),
            Some(json!({ "version": 1 })),
        )
        .await;
    assert_eq!(rolled.status, StatusCode::OK);
    assert_eq!(rolled.json()["agent"]["latest_version"], 1);
    assert_eq!(
        listing(&app, "").await["agents"][0]["summary"],
        "Makes emails friendlier",
        "listings follow latest"
    );
    let bad = app
        .call(
            "PUT",
            &format!("/v1/agents/{address}/latest"),
            Some(&owner.access_token),
            Some(json!({ "version": 9 })),
        )
        .await;
    assert_eq!(
        bad.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "version"
    );

    let deprecated = app
        .call(
            "PATCH",
            &format!("/v1/agents/{address}/versions/2"),
            Some(&owner.access_token),
            Some(json!({ "deprecated": true, "deprecation_note": "too terse" })),
        )
        .await;
    assert_eq!(deprecated.status, StatusCode::OK);
    assert_eq!(deprecated.json()["deprecation_note"], "too terse");
    assert!(deprecated.json()["deprecated_at"].is_string());
    for path in ["versions/0", "versions/abc", "versions/99"] {
        app.call("GET", &format!("/v1/agents/{address}/{path}"), None, None)
            .await
            .problem(StatusCode::NOT_FOUND, "not-found");
    }
}

#[tokio::test]
async fn only_the_owner_changes_an_agent_and_private_ones_stay_hidden() {
    let app = TestApp::spawn().await;
    let (owner, other) = (app.with_user().await, app.with_user().await);
    let address = app
        .published_agent(&owner, agent_spec("Daily Planner", "Plans your day"))
        .await;
    let forbidden = app
        .call(
            "PATCH",
            &format!("/v1/agents/{address}"),
            Some(&other.access_token),
            Some(json!({ "visibility": "private" })),
        )
        .await;
    forbidden.problem(StatusCode::FORBIDDEN, "forbidden");
    app.call(
        "POST",
        &format!("/v1/agents/{address}/versions"),
        Some(&other.access_token),
        Some(json!({})),
    )
    .await
    .problem(StatusCode::FORBIDDEN, "forbidden");

    let private = app
        .call(
            "PATCH",
            &format!("/v1/agents/{address}"),
            Some(&owner.access_token),
            Some(json!({ "visibility": "private" })),
        )
        .await;
    assert_eq!(private.json()["agent"]["visibility"], "private");
    for path in ["", "/versions", "/versions/1", "/export"] {
        app.call(
            "GET",
            &format!("/v1/agents/{address}{path}"),
            Some(&other.access_token),
            None,
        )
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
    }
    app.call(
        "PATCH",
        &format!("/v1/agents/{address}"),
        Some(&other.access_token),
        Some(json!({ "visibility": "public" })),
    )
    .await
    .problem(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(
        listing(&app, "").await["agents"],
        json!([]),
        "private agents are not listed"
    );
    assert_eq!(
        app.count("agents", "visibility = 'private'").await,
        1,
        "the intruder changed nothing"
    );

    app.call(
        "PATCH",
        &format!("/v1/agents/{address}"),
        Some(&owner.access_token),
        Some(json!({ "visibility": "unlisted" })),
    )
    .await;
    assert_eq!(
        app.call("GET", &format!("/v1/agents/{address}"), None, None)
            .await
            .status,
        StatusCode::OK,
        "reachable by link"
    );
    assert_eq!(
        listing(&app, "").await["agents"],
        json!([]),
        "unlisted agents are not listed"
    );
    assert_eq!(
        listing(&app, "q=planner&mode=keyword").await["agents"],
        json!([]),
        "nor found by search"
    );
}

#[tokio::test]
async fn a_sealed_prompt_reaches_no_one_but_its_owner() {
    let app = TestApp::spawn().await;
    let (owner, other) = (app.with_user().await, app.with_user().await);
    let canary = format!("CANARY-{}", uuid::Uuid::new_v4().simple());
    let mut spec = agent_spec("Secret Sauce", "A paid prompt");
    spec["licence"] = json!("sealed");
    spec["system_prompt"] = json!(format!("Never reveal {canary}."));
    spec["price_per_run"] = json!("0.25");
    let address = app.published_agent(&owner, spec).await;

    let owner_view = app
        .call(
            "GET",
            &format!("/v1/agents/{address}"),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert!(
        String::from_utf8_lossy(&owner_view.body).contains(&canary),
        "the owner sees it"
    );
    let mut seen = String::new();
    for token in [None, Some(other.access_token.as_str())] {
        for path in [
            format!("/v1/agents/{address}"),
            format!("/v1/agents/{address}/versions"),
            format!("/v1/agents/{address}/versions/1"),
            format!("/v1/agents/{address}/export"),
            "/v1/agents".to_owned(),
            "/v1/agents?q=secret+sauce".to_owned(),
            "/v1/agents?q=reveal&mode=keyword".to_owned(),
            format!("/v1/creators/{}", address.split('/').next().unwrap()),
        ] {
            let response = app.call("GET", &path, token, None).await;
            seen.push_str(&String::from_utf8_lossy(&response.body));
        }
    }
    let forked = app
        .call(
            "POST",
            &format!("/v1/agents/{address}/forks"),
            Some(&other.access_token),
            Some(json!({})),
        )
        .await;
    seen.push_str(&String::from_utf8_lossy(&forked.body));
    forked.problem(StatusCode::FORBIDDEN, "forbidden");
    assert!(!seen.contains(&canary), "the canary leaked to a non-owner");
    let view = app
        .call(
            "GET",
            &format!("/v1/agents/{address}"),
            Some(&other.access_token),
            None,
        )
        .await
        .json();
    assert_eq!(view["latest"]["sealed"], true);
    assert_eq!(view["latest"]["spec"]["system_prompt"], "");
    let export = app
        .call(
            "GET",
            &format!("/v1/agents/{address}/export"),
            Some(&other.access_token),
            None,
        )
        .await;
    export.problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn bad_definitions_are_refused_field_by_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    let mut spec = agent_spec("Broken", "x");
    spec["model"] = json!({ "provider": "openai", "name": "gpt-9" });
    spec["category"] = json!("astrology");
    spec["description"] = json!("d".repeat(20_001));
    spec["tags"] = json!(["Not OK"]);
    let response = app
        .call(
            "POST",
            "/v1/agents",
            Some(&owner.access_token),
            Some(json!({ "definition": spec, "slug": "Bad Slug" })),
        )
        .await;
    let problem = response.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "definition.description",
            "definition.tags[0]",
            "definition.model.name",
            "definition.category"
        ]
    );
    let unknown = app
        .call(
            "POST",
            "/v1/agents",
            Some(&owner.access_token),
            Some(json!({ "definition": agent_spec("A", "b"), "owner_id": owner.id })),
        )
        .await;
    assert_eq!(
        unknown.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "owner_id"
    );
    let slug = app
        .call(
            "POST",
            "/v1/agents",
            Some(&owner.access_token),
            Some(json!({ "definition": agent_spec("Fine", "ok"), "slug": "Bad Slug" })),
        )
        .await;
    assert_eq!(
        slug.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "slug"
    );
    assert_eq!(app.count("agents", "true").await, 0);

    app.create_agent(&owner, agent_spec("Twin", "one")).await;
    let taken = app
        .call(
            "POST",
            "/v1/agents",
            Some(&owner.access_token),
            Some(json!({ "definition": agent_spec("Twin", "two") })),
        )
        .await;
    taken.problem(StatusCode::CONFLICT, "conflict");
    assert_eq!(app.count("agents", "true").await, 1);
    assert_eq!(app.count("agent_versions", "true").await, 0);
}

#[tokio::test]
async fn markup_in_a_description_is_stored_as_text_for_the_ui_to_render_inertly() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    let payload =
        "<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3))";
    let mut spec = agent_spec("Markup Test", "Has markup");
    spec["description"] = json!(payload);
    let address = app.published_agent(&owner, spec).await;
    let view = app
        .call("GET", &format!("/v1/agents/{address}"), None, None)
        .await;
    assert_eq!(view.header("content-type"), "application/json");
    assert_eq!(
        view.json()["latest"]["spec"]["description"],
        payload,
        "kept verbatim, never interpreted"
    );
}

#[tokio::test]
async fn search_finds_by_words_typos_and_meaning() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    let mut contract = agent_spec(
        "Contract Reviewer",
        "Finds risky clauses in legal contracts",
    );
    contract["category"] = json!("legal");
    contract["tags"] = json!(["contracts", "legal"]);
    let contract = app.published_agent(&owner, contract).await;
    let mut poems = agent_spec("Cat Poet", "Writes funny poems about cats");
    poems["category"] = json!("fun");
    poems["tags"] = json!(["poetry"]);
    let poems = app.published_agent(&owner, poems).await;
    let mut sql = agent_spec("SQL Helper", "Explains SQL queries and database indexes");
    sql["category"] = json!("coding");
    sql["tags"] = json!(["sql", "databases"]);
    let sql = app.published_agent(&owner, sql).await;

    assert_eq!(
        ids_of(&listing(&app, "q=contracts&mode=keyword").await),
        std::slice::from_ref(&contract)
    );
    assert_eq!(
        ids_of(&listing(&app, "q=contrcat&mode=keyword").await),
        std::slice::from_ref(&contract),
        "one typo"
    );
    let semantic = listing(&app, "q=please+review+my+contract+for+risks&mode=semantic").await;
    assert_eq!(ids_of(&semantic)[0], contract, "closest in meaning first");
    assert_eq!(
        semantic["embedding_model"], "agora/offline-hash-256",
        "the offline embedder is labelled"
    );
    let hybrid = listing(&app, "q=funny+cat+poems").await;
    assert_eq!(ids_of(&hybrid)[0], poems);
    assert_eq!(
        ids_of(&listing(&app, "q=database+index&mode=hybrid").await)[0],
        sql
    );
    for hostile in [
        "q=%27%3B+DROP+TABLE+agents%3B--",
        "q=%25%25%25",
        "q=%3C%3E%28%29%21%26%7C",
        "q=+++",
    ] {
        listing(&app, hostile).await;
    }
    assert_eq!(app.count("agents", "true").await, 3, "nothing was dropped");
    let long = app
        .call(
            "GET",
            &format!("/v1/agents?q={}", "a".repeat(10_000)),
            None,
            None,
        )
        .await;
    assert_eq!(
        long.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "q"
    );
}

#[tokio::test]
async fn filters_narrow_results_and_facets_count_them() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    for (name, category, tags, price, licence, language) in [
        (
            "Alpha Writer",
            "writing",
            vec!["blog", "seo"],
            "0",
            "open",
            "en",
        ),
        (
            "Beta Writer",
            "writing",
            vec!["blog"],
            "0.5",
            "sealed",
            "en",
        ),
        ("Gamma Coder", "coding", vec!["rust"], "2", "open", "de"),
    ] {
        let mut spec = agent_spec(name, "An agent");
        spec["category"] = json!(category);
        spec["tags"] = json!(tags);
        spec["price_per_run"] = json!(price);
        spec["licence"] = json!(licence);
        spec["language"] = json!(language);
        app.published_agent(&owner, spec).await;
    }
    let names = |page: &Value| -> Vec<String> {
        let mut names: Vec<String> = page["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(&listing(&app, "category=writing").await),
        ["Alpha Writer", "Beta Writer"]
    );
    assert_eq!(
        names(&listing(&app, "tags=blog,seo").await),
        ["Alpha Writer"]
    );
    assert_eq!(
        names(&listing(&app, "min_price=0.1&max_price=1").await),
        ["Beta Writer"]
    );
    assert_eq!(
        names(&listing(&app, "licence=open&language=de").await),
        ["Gamma Coder"]
    );
    assert_eq!(
        names(&listing(&app, "provider=agora&model=echo").await).len(),
        3
    );
    assert!(
        listing(&app, "").await["facets"].is_null(),
        "facets only when asked"
    );
    let facets = &listing(&app, "facets=true").await["facets"];
    assert_eq!(
        facets["category"],
        json!([{ "value": "writing", "count": 2 }, { "value": "coding", "count": 1 }])
    );
    assert_eq!(facets["tags"][0], json!({ "value": "blog", "count": 2 }));
    assert_eq!(
        facets["licence"],
        json!([{ "value": "open", "count": 2 }, { "value": "sealed", "count": 1 }])
    );
    for bad in [
        "min_price=-1",
        "max_price=abc",
        "sort=cheapest",
        "mode=magic",
        "limit=0",
        "limit=101",
        "colour=red",
    ] {
        app.call("GET", &format!("/v1/agents?{bad}"), None, None)
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }
}

#[tokio::test]
async fn pages_follow_cursors_without_gaps_and_refuse_tampered_ones() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    for n in 0..25 {
        app.published_agent(
            &owner,
            agent_spec(&format!("Agent Number {n}"), "Counts things"),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut query = "sort=newest&limit=10&facets=true".to_owned();
    let mut pages = 0;
    loop {
        let page = listing(&app, &query).await;
        pages += 1;
        assert_eq!(
            page["facets"].is_object(),
            pages == 1,
            "facets come with the first page"
        );
        seen.extend(ids_of(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("sort=newest&limit=10&facets=true&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25);
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 25, "no agent twice");
    assert!(
        seen[0].ends_with("agent-number-24"),
        "newest first: {}",
        seen[0]
    );

    let first = listing(&app, "sort=newest&limit=10").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let mut edited = cursor.clone().into_bytes();
    edited[5] = if edited[5] == b'2' { b'3' } else { b'2' };
    let edited = String::from_utf8(edited).unwrap();
    for bad in [
        format!("sort=newest&limit=10&cursor={edited}"),
        format!("sort=trending&limit=10&cursor={cursor}"),
        "cursor=garbage".to_owned(),
    ] {
        app.call("GET", &format!("/v1/agents?{bad}"), None, None)
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid-cursor");
    }
    let search = listing(&app, "q=agent+number&limit=10").await;
    assert_eq!(search["agents"].as_array().unwrap().len(), 10);
    let next = listing(
        &app,
        &format!(
            "q=agent+number&limit=10&cursor={}",
            search["next_cursor"].as_str().unwrap()
        ),
    )
    .await;
    assert!(ids_of(&next).iter().all(|id| !ids_of(&search).contains(id)));
}

#[tokio::test]
async fn trending_ranks_by_distinct_viewers() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    let quiet = app
        .published_agent(&owner, agent_spec("Quiet One", "Rarely seen"))
        .await;
    let popular = app
        .published_agent(&owner, agent_spec("Popular One", "Often seen"))
        .await;
    for _ in 0..3 {
        let viewer = app.with_user().await;
        app.call(
            "GET",
            &format!("/v1/agents/{popular}"),
            Some(&viewer.access_token),
            None,
        )
        .await;
        app.call(
            "GET",
            &format!("/v1/agents/{popular}"),
            Some(&viewer.access_token),
            None,
        )
        .await;
    }
    app.call(
        "GET",
        &format!("/v1/agents/{quiet}"),
        Some(&app.with_user().await.access_token),
        None,
    )
    .await;
    app.call(
        "GET",
        &format!("/v1/agents/{quiet}"),
        Some(&owner.access_token),
        None,
    )
    .await;
    let page = listing(&app, "sort=trending").await;
    assert_eq!(ids_of(&page), [popular.clone(), quiet]);
    assert_eq!(
        page["agents"][0]["view_count"], 3,
        "one view per viewer per day"
    );
}

#[tokio::test]
async fn saving_pins_versions_and_flags_newer_ones() {
    let app = TestApp::spawn().await;
    let (owner, reader) = (app.with_user().await, app.with_user().await);
    let address = app
        .published_agent(&owner, agent_spec("Pinned Agent", "v1"))
        .await;
    let saved = app
        .call(
            "PUT",
            &format!("/v1/me/saved-agents/{address}"),
            Some(&reader.access_token),
            Some(json!({ "pinned_version": 1 })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(saved.json()["newer_version_available"], false);
    app.publish(&owner, &address, "v2").await;
    let library = app
        .call(
            "GET",
            "/v1/me/saved-agents",
            Some(&reader.access_token),
            None,
        )
        .await
        .json();
    assert_eq!(library["saved"][0]["pinned_version"], 1);
    assert_eq!(library["saved"][0]["latest_version"], 2);
    assert_eq!(library["saved"][0]["newer_version_available"], true);
    assert_eq!(library["saved"][0]["card"]["save_count"], 1);
    let bad_pin = app
        .call(
            "PUT",
            &format!("/v1/me/saved-agents/{address}"),
            Some(&reader.access_token),
            Some(json!({ "pinned_version": 7 })),
        )
        .await;
    bad_pin.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    app.call(
        "PATCH",
        &format!("/v1/agents/{address}"),
        Some(&owner.access_token),
        Some(json!({ "visibility": "private" })),
    )
    .await;
    let hidden = app
        .call(
            "GET",
            "/v1/me/saved-agents",
            Some(&reader.access_token),
            None,
        )
        .await
        .json();
    assert!(
        hidden["saved"][0]["card"].is_null(),
        "an agent made private keeps only its address"
    );
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/v1/me/saved-agents/{address}"),
            Some(&reader.access_token),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    app.call(
        "DELETE",
        &format!("/v1/me/saved-agents/{address}"),
        Some(&reader.access_token),
        None,
    )
    .await
    .problem(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(app.count("agents", "save_count = 0").await, 1);
}

#[tokio::test]
async fn forks_copy_open_agents_into_private_drafts_with_their_lineage() {
    let app = TestApp::spawn().await;
    let (owner, forker) = (app.with_user().await, app.with_user().await);
    let original = app
        .published_agent(&owner, agent_spec("Recipe Chef", "Suggests recipes"))
        .await;
    let fork = app
        .call(
            "POST",
            &format!("/v1/agents/{original}/forks"),
            Some(&forker.access_token),
            Some(json!({})),
        )
        .await;
    assert_eq!(fork.status, StatusCode::CREATED, "{:?}", fork.body);
    let fork = fork.json();
    assert_eq!(fork["agent"]["visibility"], "private");
    assert_eq!(fork["agent"]["status"], "draft");
    assert_eq!(
        fork["agent"]["forked_from"],
        json!({ "address": original, "version": 1 })
    );
    assert_eq!(fork["draft"]["system_prompt"], "You are Recipe Chef.");
    let again = app
        .call(
            "POST",
            &format!("/v1/agents/{original}/forks"),
            Some(&forker.access_token),
            Some(json!({})),
        )
        .await;
    assert!(
        again.json()["agent"]["slug"]
            .as_str()
            .unwrap()
            .ends_with("-2"),
        "a numbered slug when taken"
    );
    let view = app
        .call("GET", &format!("/v1/agents/{original}"), None, None)
        .await
        .json();
    assert_eq!(view["agent"]["fork_count"], 2);
    let mine = app
        .call("GET", "/v1/me/agents", Some(&forker.access_token), None)
        .await
        .json();
    assert_eq!(mine["agents"].as_array().unwrap().len(), 2);
    app.call(
        "PATCH",
        &format!("/v1/agents/{original}"),
        Some(&owner.access_token),
        Some(json!({ "visibility": "private" })),
    )
    .await;
    app.call(
        "POST",
        &format!("/v1/agents/{original}/forks"),
        Some(&forker.access_token),
        Some(json!({})),
    )
    .await
    .problem(StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn an_admin_delists_with_a_reason_the_owner_sees() {
    let app = TestApp::spawn().await;
    let (owner, other) = (app.with_user().await, app.with_user().await);
    let administrator = app.with_admin().await;
    let address = app
        .published_agent(&owner, agent_spec("Spammy Bot", "Too good to be true"))
        .await;
    app.call(
        "PUT",
        &format!("/v1/admin/agents/{address}/delisting"),
        Some(&owner.access_token),
        Some(json!({ "reason": "mine" })),
    )
    .await
    .problem(StatusCode::FORBIDDEN, "forbidden");
    let delisted = app
        .call(
            "PUT",
            &format!("/v1/admin/agents/{address}/delisting"),
            Some(&administrator.access_token),
            Some(json!({ "reason": "Misleading claims" })),
        )
        .await;
    assert_eq!(delisted.status, StatusCode::OK, "{:?}", delisted.body);
    assert_eq!(listing(&app, "").await["agents"], json!([]));
    app.call(
        "GET",
        &format!("/v1/agents/{address}"),
        Some(&other.access_token),
        None,
    )
    .await
    .problem(StatusCode::NOT_FOUND, "not-found");
    let owner_view = app
        .call(
            "GET",
            &format!("/v1/agents/{address}"),
            Some(&owner.access_token),
            None,
        )
        .await
        .json();
    assert_eq!(owner_view["agent"]["status"], "delisted");
    assert_eq!(owner_view["agent"]["delist_reason"], "Misleading claims");
    app.publish(&owner, &address, "fixed").await;
    assert_eq!(
        listing(&app, "").await["agents"],
        json!([]),
        "publishing does not relist"
    );
    assert_eq!(app.count("audit_log", "action = 'agent.delisted'").await, 1);
    app.call(
        "DELETE",
        &format!("/v1/admin/agents/{address}/delisting"),
        Some(&administrator.access_token),
        None,
    )
    .await;
    assert_eq!(ids_of(&listing(&app, "").await), [address]);
}

#[tokio::test]
async fn exported_definitions_import_as_new_drafts_and_bad_files_name_the_field() {
    let app = TestApp::spawn().await;
    let (owner, importer) = (app.with_user().await, app.with_user().await);
    let address = app
        .published_agent(
            &owner,
            agent_spec("Portable Agent", "Moves between installs"),
        )
        .await;
    let export = app
        .call(
            "GET",
            &format!("/v1/agents/{address}/export"),
            Some(&importer.access_token),
            None,
        )
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export
            .header("content-disposition")
            .starts_with("attachment;")
    );
    let document = export.json();
    assert_eq!(document["format"], "agora.agent/v1");

    let import = |body: String| {
        let app = &app;
        let token = importer.access_token.clone();
        async move {
            app.send(
                http::Request::post("/v1/agents/import")
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {token}"))
                    .body(axum::body::Body::from(body))
                    .unwrap(),
            )
            .await
        }
    };
    let imported = import(document.to_string()).await;
    assert_eq!(imported.status, StatusCode::CREATED, "{:?}", imported.body);
    assert_eq!(imported.json()["agent"]["visibility"], "private");
    assert_eq!(imported.json()["draft"]["name"], "Portable Agent");

    let mut unknown = document.clone();
    unknown["author"] = json!("me");
    let problem = import(unknown.to_string())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(problem["errors"][0]["field"], "definition.author");
    let mut future = document.clone();
    future["format"] = json!("agora.agent/v9");
    let problem = import(future.to_string())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(problem["errors"][0]["field"], "definition.format");
    let mut deep = document.clone();
    deep["model"]["parameters"] = json!({ "temperature": "hot" });
    let problem = import(deep.to_string())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(
        problem["errors"][0]["field"],
        "definition.model.parameters.temperature"
    );
    import("{".into())
        .await
        .problem(StatusCode::BAD_REQUEST, "malformed-body");
    assert_eq!(app.count("agents", "true").await, 2);
}

#[tokio::test]
async fn categories_are_managed_by_admins_and_creators_have_pages() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    let administrator = app.with_admin().await;
    let categories = app.call("GET", "/v1/categories", None, None).await.json();
    assert!(categories["categories"].as_array().unwrap().len() >= 10);
    app.call(
        "PUT",
        "/v1/admin/categories/travel",
        Some(&owner.access_token),
        Some(json!({ "name": "Travel" })),
    )
    .await
    .problem(StatusCode::FORBIDDEN, "forbidden");
    let added = app
        .call(
            "PUT",
            "/v1/admin/categories/travel",
            Some(&administrator.access_token),
            Some(json!({ "name": "Travel", "position": 5 })),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK);
    let mut spec = agent_spec("Trip Planner", "Plans trips");
    spec["category"] = json!("travel");
    let address = app.published_agent(&owner, spec).await;
    let first = &app.call("GET", "/v1/categories", None, None).await.json()["categories"][0];
    assert_eq!(first["slug"], "travel");
    assert_eq!(first["agent_count"], 1);

    let handle = address.split('/').next().unwrap();
    app.call(
        "PATCH",
        "/v1/me",
        Some(&owner.access_token),
        Some(json!({ "bio": "I plan trips." })),
    )
    .await;
    let creator = app
        .call("GET", &format!("/v1/creators/{handle}"), None, None)
        .await
        .json();
    assert_eq!(creator["bio"], "I plan trips.");
    assert_eq!(creator["public_agents"], 1);
    assert_eq!(creator["agents"][0]["address"], address);
    app.call("GET", "/v1/creators/nobody-here", None, None)
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn handles_are_made_from_emails_unique_and_changeable() {
    let app = TestApp::spawn().await;
    let email = |local: &str| format!("{local}@{}.example.com", uuid::Uuid::new_v4().simple());
    let first = app
        .register(&email("grace.hopper"), "correct horse battery staple")
        .await;
    let second = app
        .register(&email("grace.hopper"), "correct horse battery staple")
        .await;
    let handle = |user: &TestUser| {
        let app = &app;
        let token = user.access_token.clone();
        async move {
            app.call("GET", "/v1/me", Some(&token), None).await.json()["handle"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(handle(&first).await, "grace-hopper");
    assert_eq!(handle(&second).await, "grace-hopper-2");
    app.call(
        "PATCH",
        "/v1/me",
        Some(&second.access_token),
        Some(json!({ "handle": "grace-hopper" })),
    )
    .await
    .problem(StatusCode::CONFLICT, "conflict");
    let bad = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&second.access_token),
            Some(json!({ "handle": "Admin" })),
        )
        .await;
    assert_eq!(
        bad.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "handle"
    );
    let renamed = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&second.access_token),
            Some(json!({ "handle": "amazing-grace" })),
        )
        .await;
    assert_eq!(renamed.json()["handle"], "amazing-grace");
}

#[tokio::test]
async fn a_publish_is_visible_at_once_despite_cached_listings() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    let address = app
        .published_agent(&owner, agent_spec("Cache Probe", "first summary"))
        .await;
    assert_eq!(
        listing(&app, "").await["agents"][0]["summary"],
        "first summary"
    );
    assert_eq!(
        listing(&app, "").await["agents"][0]["summary"],
        "first summary",
        "served from the cache"
    );
    let detail = format!("/v1/agents/{address}");
    let first = app.call("GET", &detail, None, None).await.json();
    assert_eq!(first["latest"]["spec"]["summary"], "first summary");
    let cached = app.call("GET", &detail, None, None).await.json();
    assert_eq!(cached["latest"]["version"], 1, "the cached view");
    app.call(
        "PATCH",
        &format!("/v1/agents/{address}"),
        Some(&owner.access_token),
        Some(json!({ "definition": agent_spec("Cache Probe", "second summary") })),
    )
    .await;
    app.publish(&owner, &address, "v2").await;
    assert_eq!(
        listing(&app, "").await["agents"][0]["summary"],
        "second summary"
    );
    assert_eq!(listing(&app, "").await["agents"][0]["latest_version"], 2);
    let fresh = app.call("GET", &detail, None, None).await.json();
    assert_eq!(
        fresh["latest"]["version"], 2,
        "no stale version after a publish"
    );
    assert_eq!(fresh["latest"]["spec"]["summary"], "second summary");
}

/// The published JSON Schema of `agora.agent/v1` matches the code (regenerated on change).
#[test]
fn the_agent_definition_schema_in_docs_is_current() {
    let schema = schemars::schema_for!(agora::domain::AgentSpec);
    let current = format!("{}\n", serde_json::to_string_pretty(&schema).unwrap());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/schemas/agora.agent.v1.json");
    if std::fs::read_to_string(&path).unwrap_or_default() != current {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &current).unwrap();
        panic!("docs/schemas/agora.agent.v1.json was stale and has been regenerated: commit it");
    }
    let schema: Value = serde_json::from_str(&current).unwrap();
    assert_eq!(
        schema["$id"],
        "https://agora.dev/schemas/agora.agent.v1.json"
    );
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown fields are refused"
    );
}
