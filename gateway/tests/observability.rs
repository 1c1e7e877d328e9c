//! The observability contract, checked with the tools operators use: the gateway's
//! `/metrics` text passes `promtool check metrics` with no lint, the example alert rules
//! pass `promtool check rules` and their unit tests, and every metric that the example
//! Grafana dashboard or alerts query is one the gateway exports. promtool is required:
//! without it these tests fail and say how to install it (`.ci/install-promtool.sh`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use gateway::metrics::{
    CheckResult, Encoding, LimitKind, MessageOutcome, Metrics, Purpose, VerificationOutcome,
};
use gateway_sdk::{Channel, DeliveryStatus};
use promql_parser::parser::{self, Expr};
use serde::Deserialize;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Runs promtool in the repo root; fails the test (never skips) when it is missing.
fn promtool(args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new("promtool");
    command
        .args(args)
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!("cannot run promtool ({e}): install it with `bash .ci/install-promtool.sh`")
    });
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(text.as_bytes())
            .expect("write metrics to promtool");
    }
    child.wait_with_output().expect("wait for promtool")
}

fn describe(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A registry with at least one sample in every family.
fn sample_metrics() -> Metrics {
    let m = Metrics::new("0.1.0", 1);
    m.observe_http_request(Some("/v1/messages"), "POST", 201, Duration::from_millis(12));
    m.observe_http_request(None, "GET", 404, Duration::from_micros(300));
    m.record_message(
        "sms-main",
        Channel::Sms,
        Some("ru-megafon"),
        MessageOutcome::Sent,
    );
    m.record_message(
        "tg-main",
        Channel::Telegram,
        None,
        MessageOutcome::Unreachable,
    );
    m.observe_adapter_send("sms-main", Duration::from_millis(180));
    m.set_adapter_up("sms-main", true);
    m.set_adapter_up("tg-main", false);
    // The series stays (at 0) after the guard is dropped.
    drop(m.adapter_inflight("sms-main"));
    m.observe_segments(Channel::Sms, 1);
    m.record_encoding(Encoding::Ucs2);
    m.record_render_rule("title_required_by_operator");
    m.record_fallback("tg-main", "sms-main");
    m.record_rate_limited(LimitKind::Prefix);
    m.record_verification(Purpose::Login, VerificationOutcome::Started);
    m.record_verification_check(CheckResult::WrongCode);
    m.record_delivery_report("sms-main", DeliveryStatus::Delivered);
    m
}

#[test]
fn metrics_text_passes_promtool_lint() {
    let m = sample_metrics();
    let text = m.render();
    let output = promtool(&["check", "metrics"], Some(&text));
    assert!(
        output.status.success(),
        "promtool check metrics failed: {}\n{text}",
        describe(&output)
    );
    assert!(
        output.stdout.is_empty() && output.stderr.is_empty(),
        "promtool check metrics reported lint problems: {}",
        describe(&output)
    );
    // Every gateway family has samples here, and every family carries a HELP line.
    for name in m.metric_names().iter().map(|n| family_of(n)) {
        if name.starts_with("gateway_") {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} has no samples"
            );
        }
        if text.contains(&format!("# TYPE {name} ")) {
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "{name} has no HELP"
            );
        }
    }
}

#[test]
fn alert_rules_pass_promtool_check_and_unit_tests() {
    let check = promtool(&["check", "rules", "examples/prometheus/alerts.yml"], None);
    assert!(
        check.status.success(),
        "promtool check rules: {}",
        describe(&check)
    );
    let test = promtool(
        &["test", "rules", "examples/prometheus/alerts_test.yml"],
        None,
    );
    assert!(
        test.status.success(),
        "promtool test rules: {}",
        describe(&test)
    );
}

/// Metric names a PromQL expression selects, found by walking its parsed syntax tree
/// (a real parser, so label names, functions and keywords are never mistaken for metrics).
fn selected_metrics(expr: &Expr, out: &mut BTreeSet<String>) {
    match expr {
        Expr::VectorSelector(vs) => {
            let by_matcher = vs.matchers.matchers.iter().find(|m| m.name == "__name__");
            let name = vs
                .name
                .clone()
                .or_else(|| by_matcher.map(|m| m.value.clone()));
            out.insert(name.expect("every selector names its metric"));
        }
        Expr::MatrixSelector(ms) => selected_metrics(&Expr::VectorSelector(ms.vs.clone()), out),
        Expr::Aggregate(a) => {
            selected_metrics(&a.expr, out);
            if let Some(param) = &a.param {
                selected_metrics(param, out);
            }
        }
        Expr::Unary(u) => selected_metrics(&u.expr, out),
        Expr::Binary(b) => {
            selected_metrics(&b.lhs, out);
            selected_metrics(&b.rhs, out);
        }
        Expr::Paren(p) => selected_metrics(&p.expr, out),
        Expr::Subquery(s) => selected_metrics(&s.expr, out),
        Expr::Call(c) => c
            .args
            .args
            .iter()
            .for_each(|arg| selected_metrics(arg, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// Parses a query (Grafana variables replaced by sample values) and lists its metrics.
fn metrics_in(query: &str) -> BTreeSet<String> {
    let promql = query
        .replace("$__rate_interval", "5m")
        .replace("$adapter", ".*");
    let expr = parser::parse(&promql).unwrap_or_else(|e| panic!("not PromQL: {query}\n{e}"));
    let mut out = BTreeSet::new();
    selected_metrics(&expr, &mut out);
    assert!(!out.is_empty(), "query selects no metric: {query}");
    out
}

fn exported() -> BTreeSet<String> {
    Metrics::new("0.1.0", 1)
        .metric_names()
        .into_iter()
        .collect()
}

fn assert_exported(used: &BTreeSet<String>, what: &str) {
    let exported = exported();
    let missing: Vec<&String> = used.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "{what} uses metrics the gateway does not export: {missing:?}"
    );
}

fn family_of(series: &str) -> &str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|s| series.strip_suffix(s))
        .unwrap_or(series)
}

#[test]
fn query_walker_finds_metrics_not_labels_or_functions() {
    let used = metrics_in(
        r#"sum by (adapter, le) (rate(gateway_x_bucket{adapter=~"$adapter"}[$__rate_interval]))
           / ignoring (le) group_left count(up) > bool 1 or {__name__="gateway_y"}"#,
    );
    let expected: BTreeSet<String> = ["gateway_x_bucket", "up", "gateway_y"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(used, expected);
}

/// Every panel target expression, including panels nested in collapsed rows.
fn dashboard_exprs(panels: &[serde_json::Value], out: &mut Vec<String>) {
    for panel in panels {
        for target in panel["targets"].as_array().into_iter().flatten() {
            out.push(
                target["expr"]
                    .as_str()
                    .expect("every target has an expr")
                    .to_owned(),
            );
        }
        dashboard_exprs(panel["panels"].as_array().map_or(&[], Vec::as_slice), out);
    }
}

#[test]
fn dashboard_is_importable_and_queries_only_exported_metrics() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("examples/grafana/gateway.json")).expect("dashboard is JSON");
    assert_eq!(dashboard["__inputs"][0]["name"], "DS_PROMETHEUS");
    assert!(dashboard["schemaVersion"].as_u64().is_some_and(|v| v >= 36));
    let variable = &dashboard["templating"]["list"][0];
    assert_eq!(variable["name"], "adapter");
    let definition = variable["definition"]
        .as_str()
        .expect("variable definition");
    let inner = definition
        .strip_prefix("label_values(")
        .and_then(|d| d.split_once(','));
    let mut used = inner
        .map(|(metric, _)| metrics_in(metric))
        .expect("a label_values query");

    let mut exprs = Vec::new();
    dashboard_exprs(dashboard["panels"].as_array().expect("panels"), &mut exprs);
    assert!(exprs.len() >= 15, "only {} queries", exprs.len());
    for expr in &exprs {
        used.extend(metrics_in(expr));
    }
    let json = dashboard.to_string();
    for (at, _) in json.match_indices("\"datasource\":{") {
        let uid = json[at..]
            .split("\"uid\":\"")
            .nth(1)
            .and_then(|s| s.split('"').next());
        assert!(
            matches!(uid, Some("${DS_PROMETHEUS}" | "-- Grafana --")),
            "datasource {uid:?}"
        );
    }
    assert_exported(&used, "the dashboard");
    // The dashboard shows every gateway family (process ones are optional).
    let shown: BTreeSet<&str> = used.iter().map(|n| family_of(n)).collect();
    for name in exported().iter().filter(|n| n.starts_with("gateway_")) {
        assert!(
            shown.contains(family_of(name)),
            "dashboard has no panel for {name}"
        );
    }
}

#[derive(Deserialize)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
struct RuleGroup {
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
struct Rule {
    alert: String,
    expr: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

/// GitHub-style anchors of the markdown headings in `text`.
fn anchors(text: &str) -> BTreeSet<String> {
    let headings = text
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| l.trim_start_matches('#').trim());
    headings
        .map(|h| {
            h.to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

#[test]
fn alerts_are_documented_labelled_and_query_exported_metrics() {
    let rules: RuleFile =
        serde_norway::from_str(&read("examples/prometheus/alerts.yml")).expect("rules YAML");
    let anchors = anchors(&read("docs/operations.md"));
    let mut used = BTreeSet::new();
    let mut count = 0;
    for rule in rules.groups.iter().flat_map(|g| &g.rules) {
        count += 1;
        used.extend(metrics_in(&rule.expr));
        let severity = rule.labels.get("severity").map(String::as_str);
        assert!(
            matches!(severity, Some("critical" | "warning")),
            "{}: {severity:?}",
            rule.alert
        );
        for key in ["summary", "description", "runbook_url"] {
            assert!(
                rule.annotations.contains_key(key),
                "{} has no {key}",
                rule.alert
            );
        }
        let runbook = &rule.annotations["runbook_url"];
        let anchor = runbook
            .strip_prefix("docs/operations.md#")
            .expect("runbook in operations.md");
        assert!(
            anchors.contains(anchor),
            "{}: no heading for #{anchor}",
            rule.alert
        );
    }
    assert!(count >= 6, "only {count} alerts");
    assert_exported(&used, "the alerts");
}

#[test]
fn operations_guide_documents_every_metric() {
    let docs = read("docs/operations.md");
    for name in exported() {
        let family = family_of(&name);
        if family.starts_with("gateway_") {
            assert!(
                docs.contains(&format!("`{family}`")),
                "docs/operations.md lacks {family}"
            );
        }
    }
}
