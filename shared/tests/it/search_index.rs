//! The `SearchIndex` port: one contract run by the PostgreSQL adapter (pgvector, the
//! default) and the OpenSearch adapter (against osmem-server, which speaks OpenSearch's
//! REST API for mappings, bulk, text queries and aggregations). osmem-server has no k-NN,
//! so the OpenSearch adapter's k-NN request bodies are checked against OpenSearch's
//! documented `knn` query instead; real vector search is proven on pgvector.

use agora::{
    adapters::opensearch::OpenSearchSettings,
    adapters::{local::embedder::OfflineEmbedder, opensearch::OpenSearchIndex},
    domain::{AgentSpec, Slug},
    ports::{
        AgentStore, CatalogEntry, CatalogFilters, CatalogSort, SearchIndex, SearchMode, SeedAgent,
    },
    services::catalog::search::{CatalogQuery, PageStart, search},
};
use chrono::{Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::support::agent_spec;

/// Four listed agents, varied on every filter, published a day apart (newest last).
fn entries(owner: Uuid) -> Vec<CatalogEntry> {
    let rows = [
        (
            "Contract Reviewer",
            "Finds risky clauses in legal contracts",
            "legal",
            vec!["contracts", "legal"],
            "0.05",
            "sealed",
            "en",
        ),
        (
            "Cat Poet",
            "Writes funny poems about cats",
            "fun",
            vec!["poetry"],
            "0",
            "open",
            "en",
        ),
        (
            "SQL Helper",
            "Explains SQL queries and database indexes",
            "coding",
            vec!["sql", "databases"],
            "0.5",
            "open",
            "de",
        ),
        (
            "Blog Writer",
            "Drafts blog posts about databases",
            "writing",
            vec!["blog", "databases"],
            "1",
            "open",
            "en",
        ),
    ];
    let start = Utc::now() - Duration::days(10);
    rows.into_iter()
        .enumerate()
        .map(
            |(day, (name, summary, category, tags, price, licence, language))| {
                let mut spec = agent_spec(name, summary);
                spec["category"] = json!(category);
                spec["tags"] = json!(tags);
                spec["price_per_run"] = json!(price);
                spec["licence"] = json!(licence);
                spec["language"] = json!(language);
                let spec: AgentSpec = serde_json::from_value(spec).unwrap();
                CatalogEntry {
                    agent_id: Uuid::now_v7(),
                    owner_id: owner,
                    embedding: OfflineEmbedder::embed_one(&spec.searchable_text()),
                    spec,
                    published_at: start + Duration::days(day as i64),
                }
            },
        )
        .collect()
}

fn query(
    text: Option<&str>,
    mode: SearchMode,
    filters: CatalogFilters,
    sort: CatalogSort,
) -> CatalogQuery {
    CatalogQuery {
        embedding: text.map(OfflineEmbedder::embed_one),
        text: text.map(str::to_owned),
        mode,
        filters,
        sort,
        start: PageStart::First,
        limit: 10,
        facets: true,
    }
}

fn names(entries: &[CatalogEntry], ids: &[Uuid]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            entries
                .iter()
                .find(|e| e.agent_id == *id)
                .unwrap()
                .spec
                .name
                .clone()
        })
        .collect()
}

/// What every adapter must do, on `index` holding nothing but `entries`.
async fn contract(index: &dyn SearchIndex, entries: &[CatalogEntry], typo_tolerant: bool) {
    index.index_agents(entries).await.unwrap();
    let browse =
        |filters: CatalogFilters| query(None, SearchMode::Hybrid, filters, CatalogSort::Newest);

    // Newest first, in keyset pages without gaps or repeats.
    let mut first = browse(CatalogFilters::default());
    first.limit = 3;
    let page = search(index, &first).await.unwrap();
    assert_eq!(
        names(entries, &page.agent_ids),
        ["Blog Writer", "SQL Helper", "Cat Poet"]
    );
    let mut second = first.clone();
    second.start = page.next.clone().expect("a second page");
    let rest = search(index, &second).await.unwrap();
    assert_eq!(names(entries, &rest.agent_ids), ["Contract Reviewer"]);
    assert!(rest.next.is_none());

    // Filters.
    let filtered = |filters: CatalogFilters| {
        let query = browse(filters);
        async move { names(entries, &search(index, &query).await.unwrap().agent_ids) }
    };
    assert_eq!(
        filtered(CatalogFilters {
            category: Some("legal".into()),
            ..Default::default()
        })
        .await,
        ["Contract Reviewer"]
    );
    assert_eq!(
        filtered(CatalogFilters {
            tags: vec!["databases".into(), "blog".into()],
            ..Default::default()
        })
        .await,
        ["Blog Writer"]
    );
    assert_eq!(
        filtered(CatalogFilters {
            min_price_micros: Some(50_000),
            max_price_micros: Some(500_000),
            ..Default::default()
        })
        .await,
        ["SQL Helper", "Contract Reviewer"]
    );
    assert_eq!(
        filtered(CatalogFilters {
            licence: Some("sealed".into()),
            ..Default::default()
        })
        .await,
        ["Contract Reviewer"]
    );
    assert_eq!(
        filtered(CatalogFilters {
            language: Some("de".into()),
            ..Default::default()
        })
        .await,
        ["SQL Helper"]
    );
    assert_eq!(
        filtered(CatalogFilters {
            owner_id: Some(Uuid::new_v4()),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );

    // Facets count the matching agents per value.
    let facets = page.facets;
    let category = |value: &str| {
        facets
            .category
            .iter()
            .find(|f| f.value == value)
            .map(|f| f.count)
    };
    assert_eq!((category("legal"), category("coding")), (Some(1), Some(1)));
    assert_eq!(
        facets
            .licence
            .iter()
            .find(|f| f.value == "open")
            .map(|f| f.count),
        Some(3)
    );
    assert_eq!(
        facets
            .tags
            .iter()
            .find(|f| f.value == "databases")
            .map(|f| f.count),
        Some(2)
    );

    // Words.
    let keyword = |text: &'static str| {
        let query = query(
            Some(text),
            SearchMode::Keyword,
            CatalogFilters::default(),
            CatalogSort::Relevance,
        );
        async move { names(entries, &search(index, &query).await.unwrap().agent_ids) }
    };
    assert_eq!(keyword("contracts").await, ["Contract Reviewer"]);
    assert_eq!(keyword("poems").await, ["Cat Poet"], "stemming: poems/poem");
    let databases = keyword("databases").await;
    assert_eq!(databases.len(), 2);
    assert!(
        databases.contains(&"SQL Helper".to_owned())
            && databases.contains(&"Blog Writer".to_owned())
    );
    if typo_tolerant {
        assert_eq!(keyword("contrcat").await, ["Contract Reviewer"], "one typo");
    }

    // Unlisting removes an agent everywhere.
    index.remove_agent(entries[0].agent_id).await.unwrap();
    index
        .remove_agent(Uuid::new_v4())
        .await
        .expect("removing an unknown agent is fine");
    assert_eq!(keyword("contracts").await, Vec::<String>::new());
    assert_eq!(
        search(index, &browse(CatalogFilters::default()))
            .await
            .unwrap()
            .agent_ids
            .len(),
        3
    );
}

#[tokio::test]
async fn the_postgres_index_meets_the_contract_and_ranks_by_meaning() {
    let (config, _backing) = crate::support::backed_config().await;
    let app = agora::bootstrap::assemble(config, Default::default())
        .await
        .unwrap();
    let state = app.state;
    let db = app.db.unwrap();
    let owner = state
        .accounts()
        .unwrap()
        .ensure_content_account(
            "index-owner@agora.invalid",
            "index-owner",
            "Index owner",
            "",
        )
        .await
        .unwrap();
    let entries = entries(owner);
    let rows: Vec<SeedAgent> = entries
        .iter()
        .map(|e| SeedAgent {
            id: e.agent_id,
            slug: Slug::from_name(&e.spec.name).unwrap(),
            spec: e.spec.clone(),
            is_demo: false,
        })
        .collect();
    AgentStore::insert_published_agents(&db, owner, &rows)
        .await
        .unwrap();
    contract(&db, &entries, true).await;

    // Semantic and hybrid ranking on real vectors.
    let semantic = query(
        Some("explain my slow sql query"),
        SearchMode::Semantic,
        CatalogFilters::default(),
        CatalogSort::Relevance,
    );
    assert_eq!(
        names(&entries, &search(&db, &semantic).await.unwrap().agent_ids)[0],
        "SQL Helper"
    );
    let hybrid = query(
        Some("poems about my cat"),
        SearchMode::Hybrid,
        CatalogFilters::default(),
        CatalogSort::Relevance,
    );
    assert_eq!(
        names(&entries, &search(&db, &hybrid).await.unwrap().agent_ids)[0],
        "Cat Poet"
    );
}

fn opensearch_url() -> String {
    std::env::var("AGORA_TEST_OPENSEARCH_URL").expect(
        "AGORA_TEST_OPENSEARCH_URL is not set: run the tests with scripts/test, which starts osmem-server",
    )
}

async fn opensearch_index() -> OpenSearchIndex {
    let name = format!("agents-test-{}", Uuid::new_v4().simple());
    let index = OpenSearchIndex::new(&opensearch_url(), &name, None).unwrap();
    index.ensure_index().await.unwrap();
    index
        .ensure_index()
        .await
        .expect("ensuring an existing index is a no-op");
    index
}

#[tokio::test]
async fn the_opensearch_index_meets_the_contract_on_osmem() {
    let index = opensearch_index().await;
    let entries = entries(Uuid::new_v4());
    contract(&index, &entries, true).await;
}

#[test]
fn the_opensearch_mapping_and_knn_requests_follow_the_documented_format() {
    let mapping = OpenSearchIndex::mapping();
    assert_eq!(mapping["settings"]["index"]["knn"], true);
    let vector = &mapping["mappings"]["properties"]["embedding"];
    assert_eq!(vector["type"], "knn_vector");
    assert_eq!(vector["dimension"], 256);
    assert_eq!(
        vector["method"],
        json!({ "name": "hnsw", "space_type": "cosinesimil", "engine": "lucene" })
    );

    let embedding = vec![0.5f32; 256];
    let mut knn = query(
        Some("contract"),
        SearchMode::Semantic,
        CatalogFilters::default(),
        CatalogSort::Relevance,
    );
    let body = OpenSearchIndex::knn_body(&knn.filters, &embedding, 50);
    // https://opensearch.org/docs/latest/search-plugins/knn/approximate-knn/ : a `knn` query
    // names the vector field, gives `vector` and `k`; efficient filtering puts a `filter`
    // beside them (Lucene and Faiss engines).
    assert_eq!(body["size"], 50);
    assert_eq!(body["query"]["knn"]["embedding"]["k"], 50);
    assert_eq!(
        body["query"]["knn"]["embedding"]["vector"]
            .as_array()
            .unwrap()
            .len(),
        256
    );
    assert!(
        body["query"]["knn"]["embedding"].get("filter").is_none(),
        "no filter when none is asked"
    );
    knn.filters = CatalogFilters {
        category: Some("legal".into()),
        tags: vec!["contracts".into()],
        max_price_micros: Some(100_000),
        ..Default::default()
    };
    let filtered = OpenSearchIndex::knn_body(&knn.filters, &embedding, 50);
    assert_eq!(
        filtered["query"]["knn"]["embedding"]["filter"],
        json!({ "bool": { "filter": [
            { "term": { "category": "legal" } },
            { "term": { "tags": "contracts" } },
            { "range": { "price_micros": { "lte": 100_000 } } }
        ]}})
    );
}

/// The catalog over the OpenSearch index, end to end: publish lists, unlisting removes.
#[tokio::test]
async fn the_catalog_lists_and_unlists_through_opensearch() {
    let app = crate::support::TestApp::with_config(|config| {
        config.opensearch = Some(OpenSearchSettings {
            url: opensearch_url(),
            index: format!("agents-e2e-{}", Uuid::new_v4().simple()),
            sigv4: false,
        });
    })
    .await;
    let owner = app.with_user().await;
    let address = app
        .published_agent(
            &owner,
            agent_spec("Lighthouse Keeper", "Watches the harbour lights"),
        )
        .await;
    let found = app
        .call("GET", "/v1/agents?q=lighthouse&mode=keyword", None, None)
        .await
        .json();
    assert_eq!(found["agents"][0]["address"], address);
    app.call(
        "PATCH",
        &format!("/v1/agents/{address}"),
        Some(&owner.access_token),
        Some(json!({ "visibility": "private" })),
    )
    .await;
    let gone = app
        .call("GET", "/v1/agents?q=lighthouse&mode=keyword", None, None)
        .await
        .json();
    assert_eq!(gone["agents"], json!([]));
}
