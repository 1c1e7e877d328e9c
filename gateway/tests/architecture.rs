//! The gateway's dependency rule, checked on its source: every `crate::…` path in
//! `gateway/src` (imports and inline paths) may only point at a module on the same
//! layer or a lower one of the table in `docs/architecture.md` ("Layers"), the
//! top-level modules import each other in no cycle, and nothing under `flows/` names
//! actix. A new top-level module must be placed in that table before this passes.
//!
//! Reading text rather than compiler output keeps the check fast and dependency-free;
//! it sees `crate::a::b`, `crate::{a, b}` and `use crate::a` alike. Unit-test files
//! (`tests.rs`, `tests/`) are left out: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// One import from a top-level module to another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    file: String,
    line: usize,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layers, top first, from the fenced block under "## Layers" in the doc: one
/// line per layer, `name: module module …`.
fn layers_from_doc(doc: &str) -> Vec<(String, Vec<String>)> {
    let section = doc
        .split("\n## Layers")
        .nth(1)
        .expect("docs/architecture.md has a `## Layers` section");
    let block = section
        .split("```")
        .nth(1)
        .expect("the Layers section holds a fenced block");
    block
        .lines()
        .filter_map(|l| {
            let (name, modules) = l.split_once(':')?;
            let modules: Vec<String> = modules.split_whitespace().map(str::to_owned).collect();
            (!modules.is_empty()).then(|| (name.trim().to_owned(), modules))
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src dir") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "tests" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`flows/send.rs` → `flows`).
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    first.trim_end_matches(".rs").to_owned()
}

/// The source without comments, so prose naming a path is not an import.
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every top-level module named by a `crate::` path in `code`, with its line.
fn crate_paths(code: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (i, line) in code.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let before_ok = at == 0
                || !rest[..at]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
            let after = &rest[at + "crate::".len()..];
            if before_ok {
                if let Some(group) = after.strip_prefix('{') {
                    // `crate::{a, b::c}`: the group may span lines.
                    let start = code.lines().take(i).map(|l| l.len() + 1).sum::<usize>()
                        + (line.len() - group.len());
                    let end = code[start..].find('}').map_or(code.len(), |e| start + e);
                    for item in code[start..end].split(',') {
                        let name: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() {
                            found.push((name, i + 1));
                        }
                    }
                } else {
                    let name: String = after
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        found.push((name, i + 1));
                    }
                }
            }
            rest = after;
        }
    }
    found
}

/// The edges between top-level modules, and the files under `flows/` naming actix.
fn read_tree(src: &Path) -> (Vec<Edge>, Vec<String>, BTreeSet<String>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut edges = Vec::new();
    let mut actix_in_flows = Vec::new();
    let mut modules = BTreeSet::new();
    for path in files {
        let rel = path.strip_prefix(src).expect("under src");
        let from = module_of(rel);
        if from == "lib" || from == "main" {
            continue;
        }
        modules.insert(from.clone());
        let code = code_only(&fs::read_to_string(&path).expect("read source"));
        let shown = format!("gateway/src/{}", rel.display());
        if from == "flows" && code.contains("actix") {
            actix_in_flows.push(shown.clone());
        }
        for (to, line) in crate_paths(&code) {
            if to != from {
                edges.push(Edge {
                    from: from.clone(),
                    to,
                    file: shown.clone(),
                    line,
                });
            }
        }
    }
    (edges, actix_in_flows, modules)
}

/// Modules on a cycle of the module graph, one cycle per entry.
fn cycles(edges: &[Edge]) -> Vec<Vec<String>> {
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in edges {
        graph.entry(&e.from).or_default().insert(&e.to);
    }
    let mut found = Vec::new();
    for &start in graph.keys() {
        // A path back to `start` through modules ordered after it reports each cycle once.
        let mut stack = vec![(start, vec![start])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for &next in graph.get(node).into_iter().flatten() {
                if next == start {
                    found.push(path.iter().map(|s| s.to_string()).collect());
                } else if next > start && seen.insert(next) {
                    let mut p = path.clone();
                    p.push(next);
                    stack.push((next, p));
                }
            }
        }
    }
    found
}

/// What breaks the rule: upward imports, cycles, actix in flows, unplaced modules.
fn violations(doc: &str, src: &Path) -> Vec<String> {
    let layers = layers_from_doc(doc);
    let mut rank = BTreeMap::new();
    for (i, (_, modules)) in layers.iter().enumerate() {
        for m in modules {
            rank.insert(m.clone(), i);
        }
    }
    let (edges, actix_in_flows, modules) = read_tree(src);
    let mut out = Vec::new();
    for m in &modules {
        if !rank.contains_key(m) {
            out.push(format!(
                "module `{m}` is in no layer of docs/architecture.md: place it there"
            ));
        }
    }
    for e in &edges {
        let (Some(&from), Some(&to)) = (rank.get(&e.from), rank.get(&e.to)) else {
            continue;
        };
        if to < from {
            out.push(format!(
                "{}:{}: `{}` ({} layer) imports `{}` ({} layer), which is above it",
                e.file, e.line, e.from, layers[from].0, e.to, layers[to].0
            ));
        }
    }
    for cycle in cycles(&edges) {
        out.push(format!(
            "import cycle: {} -> {}",
            cycle.join(" -> "),
            cycle[0]
        ));
    }
    for f in actix_in_flows {
        out.push(format!(
            "{f}: flows/ names actix; use cases know no HTTP (move it to api/ or http/)"
        ));
    }
    out
}

fn doc() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md"))
        .expect("read docs/architecture.md")
}

#[test]
fn dependencies_point_down_the_documented_layers() {
    let found = violations(&doc(), &src_dir());
    assert!(
        found.is_empty(),
        "the dependency rule of docs/architecture.md is broken:\n{}",
        found.join("\n")
    );
}

/// A copy of the tree with one deliberate violation of each kind must fail, so the
/// check above cannot pass by reading nothing.
#[test]
fn the_check_catches_each_kind_of_violation() {
    let layers = layers_from_doc(&doc());
    assert!(layers.len() >= 5, "the Layers table is read: {layers:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let p = src.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    };
    write("store.rs", "//! Bottom.\npub fn f() {}\n");
    write("api.rs", "//! Top.\nuse crate::store::f;\n");
    write(
        "flows/send.rs",
        "use crate::{store, api::x};\nuse actix_web::HttpResponse;\n// crate::server in a comment is not an import\n",
    );
    write("flows/tests.rs", "use crate::server;\n");
    write("newmod.rs", "use crate::store;\n");
    write("clock.rs", "fn g() { crate::phone::h() }\n");
    write("phone.rs", "fn h() { crate::clock::g() }\n");
    let found = violations(&doc(), src);
    let text = found.join("\n");
    assert!(
        text.contains("gateway/src/flows/send.rs:1: `flows`") && text.contains("imports `api`"),
        "upward import found: {text}"
    );
    assert!(text.contains("flows/ names actix"), "{text}");
    assert!(text.contains("module `newmod` is in no layer"), "{text}");
    assert!(
        text.contains("import cycle: clock -> phone -> clock"),
        "{text}"
    );
    assert!(
        !text.contains("server"),
        "comments and tests.rs are not read: {text}"
    );
    assert_eq!(found.len(), 4, "{text}");
}
