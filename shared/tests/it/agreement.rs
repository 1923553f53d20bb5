//! The route table, the bins in `functions/`, the functions and their HTTP events in
//! `template.yaml`, and the files in `events/` must agree in every direction.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use agora::api::Need;
use serde_yaml_ng::Value;

/// What one source says a function is: its name and the route it serves, and whether it
/// answers through response streaming (a function URL) rather than the HTTP API.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    function: String,
    method: String,
    path: String,
    streams: bool,
}

/// Everything the check compares, read from the repository.
struct Sources {
    routes: Vec<Entry>,
    /// `[[bin]]` names with `test = false`, and whether each bin file calls its route.
    bins: Vec<(String, bool)>,
    template: Vec<Entry>,
    /// Event file name -> the method and path inside it.
    events: Vec<(String, String, String)>,
    /// Functions of the template triggered by a schedule, and the event files of them.
    scheduled: Vec<String>,
    schedule_events: Vec<String>,
    /// CloudFront path patterns sent to each streaming function.
    stream_behaviours: Vec<(String, String)>,
}

const EVENT_SOURCES: [&str; 3] = ["apigw-v2", "apigw-v1", "alb"];

/// Every disagreement, in words; empty when all agree.
fn disagreements(sources: &Sources) -> Vec<String> {
    let mut problems = Vec::new();
    let routes: BTreeSet<&str> = sources.routes.iter().map(|r| r.function.as_str()).collect();
    let event_functions: BTreeSet<&str> = agora::lambda::EVENT_FUNCTIONS.into_iter().collect();
    let bins: BTreeSet<&str> = sources
        .bins
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !event_functions.contains(name))
        .collect();
    for function in &event_functions {
        if !sources.bins.iter().any(|(name, _)| name == function) {
            problems.push(format!(
                "event function `{function}` has no [[bin]] in functions/Cargo.toml"
            ));
        }
        if !sources.scheduled.iter().any(|name| name == function) {
            problems.push(format!(
                "event function `{function}` has no scheduled, queue-triggered or custom-resource function in template.yaml"
            ));
        }
        if !sources
            .schedule_events
            .iter()
            .any(|file| file.starts_with(&format!("{function}.")))
        {
            problems.push(format!(
                "events/{function}.schedule.json (or .sqs.json, .cloudformation.json) is missing"
            ));
        }
    }
    for function in routes.difference(&bins) {
        problems.push(format!(
            "route function `{function}` has no [[bin]] in functions/Cargo.toml"
        ));
    }
    for bin in bins.difference(&routes) {
        problems.push(format!(
            "functions/ bin `{bin}` serves no route in the route table"
        ));
    }
    for (bin, calls_route) in &sources.bins {
        if !calls_route {
            problems.push(format!("functions/src/bin/{bin}.rs must serve its own route (`use agora::api::functions::{} as function;` and `agora::lambda::serve_route::<{{ function::NEEDS.bits() }}>(function::route)`) or event, and its [[bin]] must set test = false", bin.replace('-', "_")));
        }
    }
    for route in &sources.routes {
        match sources
            .template
            .iter()
            .find(|t| t.function == route.function)
        {
            None => problems.push(format!(
                "route function `{}` has no AWS::Serverless::Function in template.yaml",
                route.function
            )),
            Some(entry) if (&entry.method, &entry.path) != (&route.method, &route.path) => {
                problems.push(format!(
                    "template.yaml serves `{}` as {} {}, the route table as {} {}",
                    route.function, entry.method, entry.path, route.method, route.path
                ))
            }
            Some(entry) if entry.streams != route.streams => problems.push(format!(
                "`{}` {} response streaming in the route table but {} in template.yaml \
                 (a streaming route has a function URL with InvokeMode RESPONSE_STREAM and no HttpApi event)",
                route.function,
                if route.streams { "uses" } else { "does not use" },
                if entry.streams { "does" } else { "does not" },
            )),
            Some(_) => {}
        }
        if route.streams {
            let pattern = cloudfront_pattern(&route.path);
            if !sources
                .stream_behaviours
                .iter()
                .any(|(path, function)| *path == pattern && *function == route.function)
            {
                problems.push(format!(
                    "the CloudFront distribution sends no `{pattern}` to `{}`'s function URL",
                    route.function
                ));
            }
        }
        for source in EVENT_SOURCES {
            let file = format!("{}.{source}.json", route.function);
            match sources.events.iter().find(|(name, _, _)| *name == file) {
                None => problems.push(format!("events/{file} is missing")),
                Some((_, method, path))
                    if *method != route.method || !path_matches(&route.path, path) =>
                {
                    problems.push(format!(
                        "events/{file} calls {method} {path}, the route is {} {}",
                        route.method, route.path
                    ))
                }
                Some(_) => {}
            }
        }
    }
    for entry in &sources.template {
        if !routes.contains(entry.function.as_str()) {
            problems.push(format!(
                "template.yaml function for binary `{}` serves no route in the route table",
                entry.function
            ));
        }
    }
    for (file, _, _) in &sources.events {
        let known = sources.routes.iter().any(|r| {
            EVENT_SOURCES
                .iter()
                .any(|s| *file == format!("{}.{s}.json", r.function))
        });
        if !known {
            problems.push(format!("events/{file} belongs to no route (name events <function>.<apigw-v2|apigw-v1|alb>.json)"));
        }
    }
    problems
}

/// The CloudFront path pattern of a route path: each `{parameter}` becomes `*`.
fn cloudfront_pattern(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a concrete path (`/v1/me/api-keys/0192...`) is an instance of a route path
/// (`/v1/me/api-keys/{id}`).
fn path_matches(route: &str, path: &str) -> bool {
    let (route, path): (Vec<&str>, Vec<&str>) =
        (route.split('/').collect(), path.split('/').collect());
    route.len() == path.len()
        && route
            .iter()
            .zip(&path)
            .all(|(r, p)| (r.starts_with('{') && r.ends_with('}') && !p.is_empty()) || r == p)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `template.yaml`, parsed.
fn template() -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(root().join("template.yaml")).unwrap())
        .unwrap()
}

/// The template's functions: logical id, binary and resource.
fn functions(template: &Value) -> impl Iterator<Item = (&str, &str, &Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .map(|(name, resource)| {
            (
                name.as_str().unwrap(),
                resource["Metadata"]["BuildProperties"]["Binary"]
                    .as_str()
                    .unwrap(),
                resource,
            )
        })
}

fn read_sources() -> Sources {
    let root = root();
    let routes = agora::api::routes()
        .into_iter()
        .map(|r| Entry {
            function: r.function.to_owned(),
            method: r.method.to_string(),
            path: r.path,
            streams: r.streams,
        })
        .collect();

    let manifest: toml::Table = std::fs::read_to_string(root.join("functions/Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let bins = manifest["bin"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bin| {
            let name = bin["name"].as_str().unwrap().to_owned();
            let source =
                std::fs::read_to_string(root.join("functions").join(bin["path"].as_str().unwrap()))
                    .unwrap_or_default();
            let serves_itself = source.contains(&format!(
                "use agora::api::functions::{} as function;",
                name.replace('-', "_")
            )) && source.contains(
                "agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)",
            ) || agora::lambda::EVENT_FUNCTIONS.contains(&name.as_str())
                && source.contains("agora::lambda::serve_");
            let ok = bin.get("test").and_then(toml::Value::as_bool) == Some(false) && serves_itself;
            (name, ok)
        })
        .collect();

    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(root.join("template.yaml")).unwrap())
            .unwrap();
    let mut functions = Vec::new();
    let mut scheduled = Vec::new();
    // Functions a custom resource invokes (`ServiceToken: !GetAtt <Function>.Arn`).
    let custom_resource_functions: Vec<String> = template["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|resource| {
            resource["Type"]
                .as_str()
                .is_some_and(|kind| kind.starts_with("Custom::"))
        })
        .filter_map(|resource| match &resource["Properties"]["ServiceToken"] {
            Value::Tagged(tagged) => tagged
                .value
                .as_str()
                .and_then(|target| target.strip_suffix(".Arn"))
                .map(str::to_owned),
            _ => None,
        })
        .collect();
    // Logical id of each streaming function's URL resource (`<Function>Url`) -> binary.
    let mut url_resources = Vec::new();
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        assert_eq!(
            resource["Metadata"]["BuildMethod"], "rust-cargolambda",
            "every function builds with cargo-lambda"
        );
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_owned();
        let events_of = |kind: &str| -> Vec<&Value> {
            resource["Properties"]["Events"]
                .as_mapping()
                .map(|m| m.values().filter(|e| e["Type"] == kind).collect())
                .unwrap_or_default()
        };
        if !events_of("Schedule").is_empty()
            || !events_of("ScheduleV2").is_empty()
            || !events_of("SQS").is_empty()
            || custom_resource_functions
                .iter()
                .any(|function| Some(function.as_str()) == id.as_str())
        {
            scheduled.push(binary);
            continue;
        }
        let http = events_of("HttpApi");
        if resource["Properties"]["FunctionUrlConfig"]["InvokeMode"] == "RESPONSE_STREAM" {
            assert!(
                http.is_empty(),
                "streaming function `{binary}` has no HttpApi event"
            );
            let route = resource["Metadata"]["Route"].as_str().unwrap_or_else(|| {
                panic!("streaming function `{binary}` names its route in Metadata.Route")
            });
            let (method, path) = route.split_once(' ').unwrap();
            url_resources.push((format!("{}Url", id.as_str().unwrap()), binary.clone()));
            functions.push(Entry {
                function: binary,
                method: method.to_owned(),
                path: path.to_owned(),
                streams: true,
            });
            continue;
        }
        assert_eq!(
            http.len(),
            1,
            "function `{binary}` has exactly one HttpApi event"
        );
        let properties = &http[0]["Properties"];
        functions.push(Entry {
            function: binary,
            method: properties["Method"].as_str().unwrap().to_ascii_uppercase(),
            path: properties["Path"].as_str().unwrap().to_owned(),
            streams: false,
        });
    }
    let stream_behaviours = stream_behaviours(&template, &url_resources);

    let files: Vec<PathBuf> = std::fs::read_dir(root.join("events"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    // Events of functions triggered by a schedule or a queue, not an HTTP request.
    let is_schedule = |path: &PathBuf| {
        let name = path.to_string_lossy();
        name.ends_with(".schedule.json")
            || name.contains(".sqs")
            || name.ends_with(".cloudformation.json")
    };
    let schedule_events = files
        .iter()
        .filter(|path| is_schedule(path))
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let events = files
        .into_iter()
        .filter(|path| !is_schedule(path))
        .map(|path| {
            let event: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let (method, route_path) = if event["version"] == "2.0" {
                (
                    event["requestContext"]["http"]["method"].clone(),
                    event["rawPath"].clone(),
                )
            } else {
                (event["httpMethod"].clone(), event["path"].clone())
            };
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                method.as_str().unwrap_or_default().to_owned(),
                route_path.as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    Sources {
        routes,
        bins,
        template: functions,
        events,
        scheduled,
        schedule_events,
        stream_behaviours,
    }
}

/// `(path pattern, binary)` for each CloudFront cache behaviour whose origin is a
/// streaming function's URL.
fn stream_behaviours(
    template: &Value,
    url_resources: &[(String, String)],
) -> Vec<(String, String)> {
    let resources = template["Resources"].as_mapping().unwrap();
    let Some((_, distribution)) = resources
        .iter()
        .find(|(_, resource)| resource["Type"] == "AWS::CloudFront::Distribution")
    else {
        return Vec::new();
    };
    let config = &distribution["Properties"]["DistributionConfig"];
    // Origin id -> the URL resource its domain comes from.
    let origin_urls: Vec<(String, String)> = config["Origins"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|origin| {
            let domain = serde_yaml_ng::to_string(&origin["DomainName"]).unwrap();
            let url = url_resources
                .iter()
                .find(|(resource, _)| domain.contains(&format!("{resource}.FunctionUrl")))?;
            Some((origin["Id"].as_str()?.to_owned(), url.1.clone()))
        })
        .collect();
    config["CacheBehaviors"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|behaviour| {
            // With the service (`!If [WithService, service, <function>]`), the function's
            // origin is the other branch.
            let origin = branches(&behaviour["TargetOriginId"])
                .into_iter()
                .filter_map(Value::as_str)
                .find(|origin| *origin != "service")?;
            let binary = origin_urls.iter().find(|(id, _)| id == origin)?.1.clone();
            Some((behaviour["PathPattern"].as_str()?.to_owned(), binary))
        })
        .collect()
}

#[test]
fn route_table_bins_template_and_events_agree() {
    let problems = disagreements(&read_sources());
    assert!(
        problems.is_empty(),
        "the route table, functions/, template.yaml and events/ disagree:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn a_route_missing_its_bin_template_entry_or_events_is_reported() {
    let mut sources = read_sources();
    sources.routes.push(Entry {
        function: "list_agents".into(),
        method: "GET".into(),
        path: "/v1/agents".into(),
        streams: false,
    });
    let problems = disagreements(&sources).join("\n");
    assert!(
        problems.contains("route function `list_agents` has no [[bin]]"),
        "{problems}"
    );
    assert!(
        problems.contains("route function `list_agents` has no AWS::Serverless::Function"),
        "{problems}"
    );
    for source in EVENT_SOURCES {
        assert!(
            problems.contains(&format!("events/list_agents.{source}.json is missing")),
            "{problems}"
        );
    }
}

#[test]
fn a_bin_template_entry_or_event_without_a_route_is_reported() {
    let mut sources = read_sources();
    sources.routes.retain(|r| r.function != "openapi");
    let problems = disagreements(&sources).join("\n");
    assert!(
        problems.contains("functions/ bin `openapi` serves no route"),
        "{problems}"
    );
    assert!(
        problems.contains("template.yaml function for binary `openapi` serves no route"),
        "{problems}"
    );
    assert!(
        problems.contains("events/openapi.alb.json belongs to no route"),
        "{problems}"
    );
}

#[test]
fn a_template_event_or_event_file_on_the_wrong_path_is_reported() {
    let mut sources = read_sources();
    sources
        .template
        .iter_mut()
        .find(|t| t.function == "health")
        .unwrap()
        .path = "/v1/healthz".into();
    sources
        .events
        .iter_mut()
        .find(|(name, _, _)| name == "health.alb.json")
        .unwrap()
        .1 = "POST".into();
    let problems = disagreements(&sources).join("\n");
    assert!(
        problems.contains("template.yaml serves `health` as GET /v1/healthz"),
        "{problems}"
    );
    assert!(
        problems.contains("events/health.alb.json calls POST /v1/health"),
        "{problems}"
    );
}

/// Every route's request budget is derived from its own function's Timeout: below it by
/// the time to answer, and not far below (a 300 s function with a 13 s budget cut whole
/// answers of slow models at 13 s). Event functions (schedule, queue) have no requests.
#[test]
fn each_route_functions_request_budget_follows_its_own_timeout() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    let budget_of = |variables: &serde_yaml_ng::Value| {
        variables["AGORA_REQUEST_TIMEOUT_MS"]
            .as_str()
            .map(|ms| ms.parse::<i64>().unwrap())
    };
    let global_budget = budget_of(&globals["Environment"]["Variables"]).unwrap();
    let mut checked = 0;
    for (name, binary, resource) in functions(&template) {
        if agora::lambda::EVENT_FUNCTIONS.contains(&binary) {
            continue;
        }
        let properties = &resource["Properties"];
        let timeout_ms = properties["Timeout"]
            .as_i64()
            .or_else(|| globals["Timeout"].as_i64())
            .unwrap()
            * 1000;
        let budget = budget_of(&properties["Environment"]["Variables"]).unwrap_or(global_budget);
        assert!(
            budget <= timeout_ms - 2_000 && budget >= timeout_ms - 15_000,
            "{name:?}: a {budget} ms budget in a {timeout_ms} ms function"
        );
        checked += 1;
    }
    assert!(checked > 40, "every route function: {checked}");
}

/// Every request CloudFront forwards carries the edge secret, and the viewer's address from
/// its viewer-request function, and the functions know the secret: per-address limits and
/// the audit log then see clients, not edge nodes.
#[test]
fn cloudfront_passes_the_viewers_address_with_the_secret_that_proves_it() {
    let template = template();
    let distribution =
        &template["Resources"]["ApiDistribution"]["Properties"]["DistributionConfig"];
    let origins = distribution["Origins"].as_sequence().unwrap();
    for origin in origins.iter().flat_map(branches) {
        let headers = origin["OriginCustomHeaders"].as_sequence().unwrap();
        assert!(
            headers
                .iter()
                .any(|header| header["HeaderName"] == "X-Agora-Edge-Secret"),
            "{:?} does not carry the edge secret",
            origin["Id"]
        );
    }
    let behaviours = std::iter::once(&distribution["DefaultCacheBehavior"])
        .chain(distribution["CacheBehaviors"].as_sequence().unwrap());
    for behaviour in behaviours {
        let associations = behaviour["FunctionAssociations"].as_sequence().unwrap();
        assert_eq!(associations[0]["EventType"], "viewer-request");
    }
    let code = template["Resources"]["ViewerAddressFunction"]["Properties"]["FunctionCode"]
        .as_str()
        .unwrap();
    assert!(code.contains("x-agora-viewer-address") && code.contains("event.viewer.ip"));
    assert!(
        !template["Globals"]["Function"]["Environment"]["Variables"]["AGORA_EDGE_SECRET"].is_null()
    );
}

/// The values a template value can take: both branches of an `!If` (but not
/// `AWS::NoValue`), or the value itself.
fn branches(value: &Value) -> Vec<&Value> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "!If" || tagged.tag == "If" => tagged
            .value
            .as_sequence()
            .map(|parts| parts.iter().skip(1).flat_map(branches).collect())
            .unwrap_or_default(),
        _ if reference(value) == Some("AWS::NoValue") => Vec::new(),
        _ => vec![value],
    }
}

/// The IAM actions the managed policies a function lists (`!Ref`) allow.
fn allowed_actions(template: &Value, function: &str) -> BTreeSet<String> {
    let policies = template["Resources"][function]["Properties"]["Policies"]
        .as_sequence()
        .unwrap();
    let mut actions = BTreeSet::new();
    for policy in policies {
        let Value::Tagged(reference) = policy else {
            continue;
        };
        let name = reference.value.as_str().unwrap();
        let statements = template["Resources"][name]["Properties"]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap();
        for statement in statements {
            match &statement["Action"] {
                Value::String(action) => {
                    actions.insert(action.clone());
                }
                Value::Sequence(list) => {
                    actions.extend(list.iter().filter_map(|a| a.as_str().map(str::to_owned)));
                }
                _ => {}
            }
        }
    }
    actions
}

/// `/v1/health` in AWS probes every configured service; each probe's call must be allowed,
/// or a healthy deployment reports 503 (as it did with `sqs:GetQueueAttributes` missing).
#[test]
fn the_health_function_may_make_every_call_its_probes_make() {
    let template = template();
    let allowed = allowed_actions(&template, "HealthFunction");
    let missing: Vec<&str> = agora::adapters::aws::PROBE_ACTIONS
        .into_iter()
        .filter(|action| !allowed.contains(*action))
        .collect();
    assert!(
        missing.is_empty(),
        "HealthFunction may not call {missing:?}"
    );
}

/// The `!Ref` a tagged template value names, if it is one.
fn reference(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "!Ref" || tagged.tag == "Ref" => {
            tagged.value.as_str()
        }
        _ => None,
    }
}

/// The policies a function is granted: managed policies by `!Ref` name, SAM policy
/// templates by template name, an inline policy by its first statement's `Sid`.
fn granted_policies(function: &Value) -> BTreeSet<String> {
    function["Properties"]["Policies"]
        .as_sequence()
        .map(|policies| {
            policies
                .iter()
                .filter_map(|policy| match policy {
                    Value::Mapping(mapping) if mapping.contains_key("Statement") => {
                        policy["Statement"][0]["Sid"].as_str().map(str::to_owned)
                    }
                    Value::Mapping(mapping) => mapping
                        .keys()
                        .next()
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    _ => reference(policy).map(str::to_owned),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The policy in `template.yaml` that grants `need`.
fn policy_granting(need: Need) -> &'static str {
    match need {
        Need::Database => "DatabaseConnectPolicy",
        Need::VerificationKeys => "VerificationKeysReadPolicy",
        Need::SigningKeys => "AuthKeysReadPolicy",
        Need::RotateSigningKeys => "SigningKeysRotatePolicy",
        Need::AgoraProviderKeys => "ProviderKeysSecretReadPolicy",
        Need::SavedKeysDecrypt => "ProviderKeysUsePolicy",
        Need::SavedKeysEncrypt => "ProviderKeysWritePolicy",
        Need::Bedrock => "BedrockInvokePolicy",
        Need::IdempotencyTable => "IdempotencyTablePolicy",
        Need::Uploads => "BlobsAccessPolicy",
        Need::WorkflowQueue => "WorkflowQueueSendPolicy",
        Need::WorkflowQueueReceive => "SQSPollerPolicy",
        Need::Search => "SearchAccessPolicy",
        Need::Mail => "SendEmailPolicy",
        Need::DescribeDependencies => "HealthProbePolicy",
        Need::DatabaseOwner => "ReadTheOwnerSecret",
    }
}

/// What the route table (or, for an event function, [`event_function_needs`]) says the
/// function with this binary needs.
fn declared_needs(binary: &str) -> Option<BTreeSet<Need>> {
    agora::api::routes()
        .into_iter()
        .find(|route| route.function == binary)
        .map(|route| route.needs)
        .or_else(|| agora::lambda::event_function_needs(binary))
        .map(|needs| needs.iter().collect())
}

/// Every function whose policies grant more or less than it needs, in words. Each function
/// also decrypts its own environment (`KeyDecryptPolicy`).
fn policy_disagreements(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, binary, resource) in functions(template) {
        let Some(needs) = declared_needs(binary) else {
            problems.push(format!(
                "{name}: `{binary}` is neither a route nor an event function"
            ));
            continue;
        };
        let expected: BTreeSet<String> = needs
            .into_iter()
            .map(|need| policy_granting(need).to_owned())
            .chain(["KeyDecryptPolicy".to_owned()])
            .collect();
        let granted = granted_policies(resource);
        for extra in granted.difference(&expected) {
            problems.push(format!(
                "{name} ({binary}) is granted {extra}, which it does not need"
            ));
        }
        for missing in expected.difference(&granted) {
            problems.push(format!(
                "{name} ({binary}) needs {missing}, which it is not granted"
            ));
        }
    }
    problems
}

/// Issue 15: each function is granted exactly what its route (or event function) declares
/// it touches, so no function can mint a token, read Agora's provider keys, search, mail
/// or spend on Bedrock unless its route does.
#[test]
fn each_function_is_granted_exactly_what_it_needs() {
    let template = template();
    assert_eq!(policy_disagreements(&template), Vec::<String>::new());
    assert!(functions(&template).count() > 80);
    let signers: BTreeSet<&str> = agora::api::routes()
        .into_iter()
        .filter(|route| route.needs.contains(Need::SigningKeys))
        .map(|route| route.function)
        .collect();
    assert_eq!(
        signers,
        BTreeSet::from(["auth-login", "auth-refresh", "auth-register"])
    );
}

#[test]
fn a_policy_granted_beyond_or_short_of_a_functions_needs_is_reported() {
    let mut template = template();
    let policies = |template: &mut Value, function: &str| {
        template["Resources"][function]["Properties"]["Policies"]
            .as_sequence_mut()
            .unwrap()
            .clone()
    };
    let mut me_get = policies(&mut template, "MeGetFunction");
    me_get.push(serde_yaml_ng::from_str("!Ref AuthKeysReadPolicy").unwrap());
    template["Resources"]["MeGetFunction"]["Properties"]["Policies"] = Value::Sequence(me_get);
    let mut runs = policies(&mut template, "RunsCreateFunction");
    runs.retain(|policy| reference(policy) != Some("IdempotencyTablePolicy"));
    template["Resources"]["RunsCreateFunction"]["Properties"]["Policies"] = Value::Sequence(runs);
    assert_eq!(
        policy_disagreements(&template),
        [
            "MeGetFunction (me-get) is granted AuthKeysReadPolicy, which it does not need",
            "RunsCreateFunction (runs-create) needs IdempotencyTablePolicy, which it is not granted",
        ]
    );
}

/// The functions that read or write a secret find it by name in their environment: the
/// signing keys where tokens are minted or rotated (their public half everywhere else),
/// and Agora's provider keys where providers are called.
#[test]
fn each_function_is_told_where_the_secrets_it_may_read_are() {
    let template = template();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        reference(&globals["AGORA_SECRET_ID"]),
        Some("VerificationKeysSecret")
    );
    for (name, binary, resource) in functions(&template) {
        let needs = declared_needs(binary).unwrap();
        let variables = &resource["Properties"]["Environment"]["Variables"];
        if needs.contains(&Need::SigningKeys) || needs.contains(&Need::RotateSigningKeys) {
            assert_eq!(
                reference(&variables["AGORA_SECRET_ID"]),
                Some("AuthKeysSecret"),
                "{name}"
            );
            assert_eq!(
                reference(&variables["AGORA_VERIFICATION_KEYS_ID"]),
                Some("VerificationKeysSecret"),
                "{name}"
            );
        } else {
            assert!(variables["AGORA_SECRET_ID"].is_null(), "{name}");
        }
        assert_eq!(
            reference(&variables["AGORA_PROVIDER_SECRET_ID"]).is_some(),
            needs.contains(&Need::AgoraProviderKeys),
            "{name}"
        );
    }
    // The signing-key policy reaches the signing keys and the public half, nothing else.
    let statements =
        template["Resources"]["AuthKeysReadPolicy"]["Properties"]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap();
    let resources: BTreeSet<&str> = statements
        .iter()
        .filter_map(|statement| reference(&statement["Resource"]))
        .collect();
    assert_eq!(
        resources,
        BTreeSet::from(["AuthKeysSecret", "VerificationKeysSecret"])
    );
}

/// Issue 15: uploads nobody claims do not pile up. They wait where the S3 adapter puts
/// them until a claim checks and keeps them, and the bucket expires that place after a day.
#[test]
fn the_bucket_expires_uploads_nobody_claimed() {
    let template = template();
    let rules =
        template["Resources"]["BlobsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
            .as_sequence()
            .unwrap();
    let abandoned = rules
        .iter()
        .find(|rule| rule["Prefix"] == agora::adapters::s3::INCOMING_PREFIX)
        .expect("a lifecycle rule on the incoming prefix");
    assert_eq!(abandoned["Status"], "Enabled");
    assert_eq!(abandoned["ExpirationInDays"].as_u64(), Some(1));
    assert_eq!(
        abandoned["NoncurrentVersionExpiration"]["NoncurrentDays"].as_u64(),
        Some(1),
        "the bucket is versioned: the expired file's old version goes too"
    );
}

/// Issue 16: with the service, CloudFront sends every streaming route to it, and its task
/// role holds exactly what those routes declare they need, nothing a function alone needs.
#[test]
fn the_service_serves_the_streaming_routes_with_their_needs_only() {
    let template = template();
    let distribution =
        &template["Resources"]["ApiDistribution"]["Properties"]["DistributionConfig"];
    let streaming: Vec<agora::api::Route> = agora::api::routes()
        .into_iter()
        .filter(|route| route.streams)
        .collect();
    for route in &streaming {
        let pattern = cloudfront_pattern(&route.path);
        let behaviour = distribution["CacheBehaviors"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|behaviour| behaviour["PathPattern"] == pattern.as_str())
            .unwrap_or_else(|| panic!("no behaviour for {pattern}"));
        let targets: Vec<&str> = branches(&behaviour["TargetOriginId"])
            .into_iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(targets, ["service", route.function], "{pattern}");
    }
    let service = &template["Resources"]["ServiceStack"]["Properties"]["Parameters"];
    let Value::Tagged(join) = &service["TaskPolicyArns"] else {
        panic!("TaskPolicyArns is a !Join of the policies");
    };
    let granted: BTreeSet<&str> = join.value[1]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(reference)
        .collect();
    let needed: BTreeSet<&str> = streaming
        .iter()
        .flat_map(|route| route.needs.iter())
        .map(policy_granting)
        .collect();
    assert_eq!(granted, needed);
    let environment = serde_yaml_ng::to_string(&service["Environment"]).unwrap();
    for secret in ["EdgeSecret", "CacheAuthSecret", "{{resolve"] {
        assert!(
            !environment.contains(secret),
            "{secret}: secrets reach the task through Secrets Manager, not its environment"
        );
    }
}

/// A deploy that brings a migration applies it: the custom resource that runs the migrate
/// function changes exactly when the number of migrations does.
#[test]
fn the_deploy_time_migrations_follow_the_migrations_folder() {
    let template = template();
    let migrations = &template["Resources"]["DatabaseMigrations"];
    assert_eq!(migrations["Type"], "Custom::DatabaseMigrations");
    assert_eq!(
        migrations["Properties"]["Migrations"].as_str().unwrap(),
        agora::adapters::postgres::migrations::MIGRATIONS
            .len()
            .to_string(),
        "set DatabaseMigrations' Migrations in template.yaml to the number of migrations"
    );
    assert_eq!(
        reference(&migrations["Properties"]["ServiceToken"]),
        None,
        "a !GetAtt of the function's Arn"
    );
}
