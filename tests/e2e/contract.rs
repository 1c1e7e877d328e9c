//! The served contract, checked by the tools its users run: `/openapi.json` is accepted
//! by `openapi-spec-validator` (OpenAPI 3.1), schemathesis finds no failure of any of
//! its checks against the real process (response schemas, undocumented status codes,
//! content types, headers, rejected valid data, accepted invalid data, ...), and the
//! human-readable reference at `/docs` renders in headless Chromium from files in the
//! binary, with no request leaving the gateway.
//!
//! The Python tools come from the virtualenv `.ci/install-python-tools.sh` makes in
//! `target/venv`, Chromium from `.ci/install-chromium.sh`; without them these tests
//! fail and say which script to run (the README's test command runs both).

use e2e::{DEV_KEY, Gateway, config};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tool of the Python virtualenv, or a panic saying how to install it.
fn venv_tool(name: &str) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/venv/bin");
    let tool = venv.join(name);
    assert!(
        tool.exists(),
        "{} is missing: run `bash .ci/install-python-tools.sh` (the README's test command does)",
        tool.display()
    );
    tool
}

fn contract_config() -> String {
    // Limits out of the way: schemathesis sends thousands of requests to few phones.
    config(
        "[limits]\nresend_cooldown = \"1ms\"\nphone_per_hour = 1000000\nphone_per_day = 1000000\n\
         ip_per_hour = 1000000\nlocation_per_minute = 1000000\n",
    )
}

#[test]
fn openapi_document_is_valid_openapi_3_1() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &contract_config());
    let doc = gw.call("GET", "/openapi.json", None, None);
    assert_eq!(doc.status, 200);
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3.1"));
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &doc.text).unwrap();
    let out = Command::new(venv_tool("openapi-spec-validator"))
        .arg(&file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "openapi-spec-validator: {said}");
    assert!(said.contains("OK"), "{said}");
}

#[test]
fn schemathesis_finds_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &contract_config());
    let reports = dir.path().join("schemathesis");
    let out = Command::new(venv_tool("schemathesis"))
        .current_dir(dir.path())
        .arg("--config-file")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/schemathesis.toml"))
        .args(["run", &format!("{}/openapi.json", gw.base)])
        // Seeded and bounded by the example count (no `--max-time`: under it the fuzzing
        // and stateful phases keep drawing cases until the clock runs out). One worker:
        // schemathesis 4.32's generator is not thread-safe (a second worker made it fail
        // inside hypothesis with a recursion-depth error).
        .args(["--checks", "all", "--seed", "1", "--max-examples", "20"])
        .args(["--workers", "1", "--request-timeout", "30"])
        .args(["--header", &format!("Authorization: Bearer {DEV_KEY}")])
        .args(["--report", "junit", "--report-dir"])
        .arg(&reports)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Exit 0 means no failure; also make sure it tested something.
    assert!(!said.contains("Failures:"), "{said}");
    assert!(
        said.contains(" generated, ") && said.contains(" passed"),
        "{said}"
    );
    assert!(
        said.contains("Stateful"),
        "the stateful phase did not run:\n{said}"
    );
}

#[test]
fn docs_page_renders_the_api_from_the_binary_alone() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let chromium = which("chromium").unwrap_or_else(|| {
        panic!("chromium is missing: run `bash .ci/install-chromium.sh` (the README's test command does)")
    });
    let net_log = dir.path().join("net-log.json");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg(format!("{}/docs", gw.base))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Rendered by Swagger UI from /openapi.json: the title and an operation's path are
    // not in the static page.
    assert!(
        dom.contains("Confirmation-code gateway") && dom.contains("/v1/verifications/{id}/check"),
        "the API was not rendered; DOM:\n{dom}"
    );
    // Every request the page made went to the gateway. Chromium's own background
    // requests (update checks, sign-in) carry no page origin as their initiator.
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&net_log).unwrap()).unwrap();
    let mut from_page: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["params"]["initiator"]
                .as_str()
                .is_some_and(|i| i.starts_with("http"))
        })
        .filter_map(|e| e["params"]["url"].as_str())
        .collect();
    from_page.sort_unstable();
    from_page.dedup();
    assert!(
        from_page.iter().any(|u| u.ends_with("/openapi.json")),
        "{from_page:?}"
    );
    assert!(
        from_page
            .iter()
            .any(|u| u.ends_with("/docs/swagger-ui-bundle.js")),
        "{from_page:?}"
    );
    let foreign: Vec<_> = from_page
        .iter()
        .filter(|u| !u.starts_with(&gw.base))
        .collect();
    assert!(
        foreign.is_empty(),
        "the page requested other hosts: {foreign:?}"
    );
    let page = gw.call("GET", "/docs", None, None);
    assert!(
        page.header("content-security-policy")
            .is_some_and(|p| p.starts_with("default-src 'self'")),
        "{:?}",
        page.headers
    );
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}
