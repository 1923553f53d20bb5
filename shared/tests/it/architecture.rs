//! The shape of the library (docs/ARCHITECTURE.md), checked over its source: imports run
//! one way through the layers, and no two modules import each other in a circle.
//!
//! Every `use crate::...`, `use super::...` and `crate::...` path outside test modules is
//! resolved to the module that defines it. Run just these checks with
//! `cargo nextest run -p agora -E 'test(architecture)'`.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// What each top-level area of `shared/src` may import, besides itself and the crate root
/// (`crate::VERSION`). The layers run api -> services -> ports <- adapters, with domain and
/// error at the bottom; config reads each area's settings; bootstrap composes everything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("error", &["domain"]),
    ("ports", &["domain", "error"]),
    ("adapters", &["ports", "domain", "error"]),
    ("services", &["ports", "domain", "error"]),
    ("api", &["services", "ports", "domain", "error"]),
    ("telemetry", &[]),
    (
        "config",
        &[
            "adapters",
            "services",
            "api",
            "telemetry",
            "domain",
            "error",
        ],
    ),
    (
        "bootstrap",
        &[
            "config", "adapters", "services", "api", "ports", "domain", "error",
        ],
    ),
    (
        "lambda",
        &[
            "bootstrap",
            "config",
            "api",
            "services",
            "ports",
            "telemetry",
            "domain",
            "error",
        ],
    ),
];

/// Areas that may import anything: test support, and the crate root's re-exports.
const UNRESTRICTED: &[&str] = &["testing", ""];

#[test]
fn imports_run_one_way_through_the_layers() {
    let modules = modules();
    let mut violations = Vec::new();
    for (path, module) in &modules {
        let from = area(path);
        if UNRESTRICTED.contains(&from) {
            continue;
        }
        let allowed = ALLOWED
            .iter()
            .find(|(area, _)| *area == from)
            .map(|(_, allowed)| *allowed)
            .unwrap_or_else(|| panic!("{from} has no layer in ALLOWED: add it"));
        for target in &module.references {
            let to = area(target);
            if to != from && !to.is_empty() && !allowed.contains(&to) {
                violations.push(format!(
                    "{} imports {} ({from} may import {})",
                    module.file.display(),
                    target.join("::"),
                    allowed.join(", ")
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports that run back up the layers:\n{}",
        violations.join("\n")
    );
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let modules = modules();
    // A module and its own submodules use each other by design (a parent re-exports, a
    // child uses its parent's types); any other circle is a tangle.
    let graph: BTreeMap<&Vec<String>, BTreeSet<&Vec<String>>> = modules
        .iter()
        .map(|(path, module)| {
            let targets = module
                .references
                .iter()
                .filter(|target| !nested(path, target) && modules.contains_key(*target))
                .collect();
            (path, targets)
        })
        .collect();
    let mut circles = Vec::new();
    for start in graph.keys() {
        if let Some(circle) = circle_through(&graph, start) {
            let names: Vec<String> = circle.iter().map(|path| path.join("::")).collect();
            circles.push(names.join(" -> "));
        }
    }
    assert!(
        circles.is_empty(),
        "modules that import each other in a circle:\n{}",
        circles.join("\n")
    );
}

/// A path back to `start` through the graph, if there is one.
fn circle_through<'a>(
    graph: &BTreeMap<&'a Vec<String>, BTreeSet<&'a Vec<String>>>,
    start: &'a Vec<String>,
) -> Option<Vec<&'a Vec<String>>> {
    let mut stack = vec![(start, vec![start])];
    let mut seen = BTreeSet::new();
    while let Some((node, trail)) = stack.pop() {
        for next in graph.get(node).into_iter().flatten() {
            if *next == start {
                let mut circle = trail.clone();
                circle.push(start);
                return Some(circle);
            }
            if seen.insert(*next) {
                let mut longer = trail.clone();
                longer.push(*next);
                stack.push((*next, longer));
            }
        }
    }
    None
}

fn nested(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The top-level area of a module path (`""` for the crate root).
fn area(path: &[String]) -> &str {
    path.first().map_or("", String::as_str)
}

struct Module {
    file: PathBuf,
    /// The modules (or root items) this one refers to, as module paths.
    references: BTreeSet<Vec<String>>,
}

/// Every module of `shared/src` by its path (`["services", "runs"]`).
fn modules() -> BTreeMap<Vec<String>, Module> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = crate::support::walk(&src);
    let paths: BTreeSet<Vec<String>> = files.iter().map(|file| module_path(&src, file)).collect();
    files
        .iter()
        .map(|file| {
            let path = module_path(&src, file);
            let source = std::fs::read_to_string(file).unwrap();
            let references = referenced_paths(&path, &source)
                .into_iter()
                .map(|target| defining_module(&paths, &target))
                .collect();
            (
                path,
                Module {
                    file: file.strip_prefix(&src).unwrap().to_path_buf(),
                    references,
                },
            )
        })
        .collect()
}

fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut segments: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(segments.last().map(String::as_str), Some("mod" | "lib")) {
        segments.pop();
    }
    segments
}

/// The longest known module that `target` starts with; root items by what they are.
fn defining_module(modules: &BTreeSet<Vec<String>>, target: &[String]) -> Vec<String> {
    for length in (1..=target.len()).rev() {
        if modules.contains(&target[..length].to_vec()) {
            return target[..length].to_vec();
        }
    }
    match target.first().map(String::as_str) {
        Some("Error" | "Result") => vec!["error".into()],
        Some("AppState") => vec!["api".into()],
        Some("Config") => vec!["config".into()],
        _ => Vec::new(),
    }
}

/// Absolute paths (without `crate`) of everything `source` names through `crate::`,
/// `super::` or `self::`, outside its test module.
fn referenced_paths(module: &[String], source: &str) -> Vec<Vec<String>> {
    let code = without_tests_and_comments(source);
    // `super` of module a::b is a, whether it is `a/b.rs` or `a/b/mod.rs`.
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let this: Vec<String> = module.to_vec();
    let resolve = |path: &str| -> Option<Vec<String>> {
        let mut segments: Vec<&str> = path.split("::").map(str::trim).collect();
        let mut base = match segments.first().copied() {
            Some("crate") => Vec::new(),
            Some("super") => parent.clone(),
            Some("self") => this.clone(),
            _ => return None,
        };
        segments.remove(0);
        while segments.first() == Some(&"super") {
            base.pop();
            segments.remove(0);
        }
        base.extend(
            segments
                .iter()
                .filter(|s| !s.is_empty() && **s != "self" && **s != "*")
                .map(|s| (*s).to_owned()),
        );
        Some(base)
    };
    let (statements, inline) = split_use_statements(&code);
    let mut paths: Vec<Vec<String>> = statements
        .iter()
        .flat_map(|statement| expand(statement))
        .filter_map(|path| resolve(&path))
        .collect();
    for prefix in ["crate::", "super::"] {
        let mut rest = inline.as_str();
        while let Some(start) = rest.find(prefix) {
            let before_ok = start == 0
                || !rest[..start]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let tail = &rest[start..];
            let length = tail
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == ':'))
                .map_or(tail.len(), |(i, _)| i);
            if before_ok {
                paths.extend(resolve(tail[..length].trim_end_matches(':')));
            }
            rest = &rest[start + length.max(1)..];
        }
    }
    paths
}

/// A use tree (`crate::a::{b, c::{d, e}}`) as its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_owned()];
    };
    let prefix = &tree[..open];
    let close = tree.rfind('}').unwrap_or(tree.len());
    let body = &tree[open + 1..close];
    let mut parts = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
        .iter()
        .filter(|part| !part.trim().is_empty())
        .flat_map(|part| expand(part))
        .map(|path| format!("{prefix}{path}"))
        .collect()
}

fn without_tests_and_comments(source: &str) -> String {
    let code = match source.find("#[cfg(test)]\nmod tests") {
        Some(start) => &source[..start],
        None => source,
    };
    code.lines()
        .map(|line| match line.find("//") {
            Some(comment) => &line[..comment],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The use trees of `code`'s `use` statements, and the code without them.
fn split_use_statements(code: &str) -> (Vec<String>, String) {
    let mut statements = Vec::new();
    let mut rest = String::new();
    let mut current: Option<String> = None;
    for line in code.lines() {
        if let Some(statement) = &mut current {
            statement.push_str(line);
        } else {
            let trimmed = line.trim_start();
            let tree = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
                .iter()
                .find_map(|keyword| trimmed.strip_prefix(keyword));
            match tree {
                Some(tree) => current = Some(tree.to_owned()),
                None => {
                    rest.push_str(line);
                    rest.push('\n');
                    continue;
                }
            }
        }
        if let Some(statement) = current.take_if(|statement| statement.ends_with(';')) {
            statements.push(statement.trim_end_matches(';').to_owned());
        }
    }
    (statements, rest)
}

#[test]
fn the_use_tree_reader_expands_nested_groups_and_renames() {
    assert_eq!(
        expand("crate::{a::{b, c as d}, e}"),
        ["crate::a::b", "crate::a::c", "crate::e"]
    );
    let paths = referenced_paths(
        &["api".into(), "runs".into()],
        "use super::{json, sse};\nuse crate::services::runs::RunRequest;\nfn f() { crate::error::describe_chain(); }\n#[cfg(test)]\nmod tests { use crate::adapters::x; }",
    );
    assert_eq!(
        paths,
        [
            vec!["api".to_owned(), "json".into()],
            vec!["api".into(), "sse".into()],
            vec!["services".into(), "runs".into(), "RunRequest".into()],
            vec!["error".into(), "describe_chain".into()],
        ]
    );
}

/// One concern per file: a file that grows past this has become two.
const MAX_LINES: usize = 700;

#[test]
fn no_source_file_holds_more_than_one_concern_s_worth_of_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let long: Vec<String> = crate::support::walk(&src)
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", file.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines; split them along their concerns:\n{}",
        long.join("\n")
    );
}
