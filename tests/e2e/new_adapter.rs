//! `gateway-sdk new-adapter`: run into a temporary workspace that path-depends on this
//! repository's SDK and fakes, then resolved by cargo (`cargo metadata --offline`: the
//! manifest parses, the workspace lists it, every dependency resolves). That the code
//! compiles and passes the kit is the template's own test (`examples/adapter-template`
//! is a workspace member, tested in this suite); here we check the copy is that template
//! with every name replaced. (A full `cargo check` of the copy needs its own target
//! directory: about 6 minutes cold on 2 cores, so it is a manual step in the guide.)

use e2e::artefact;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn new_adapter_is_the_renamed_template_and_resolves_in_a_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    std::fs::write(
        ws.join("Cargo.toml"),
        "[workspace]\nresolver = \"3\"\nmembers = [\n]\n",
    )
    .unwrap();
    std::fs::copy(repo().join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();
    let run = |name: &str| {
        Command::new(artefact("gateway-sdk"))
            .args(["new-adapter", name, "--repo"])
            .arg(repo())
            .arg("--into")
            .arg(ws)
            .output()
            .unwrap()
    };
    let out = run("acme-sms");
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("cargo test -p adapter-acme-sms"), "{said}");
    // Created once; a second run refuses to overwrite it, and bad names are refused.
    assert!(!run("acme-sms").status.success());
    for bad in ["Acme", "acme_sms", "a.b", "acme-", "acme--sms", "9acme"] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid adapter name"));
    }

    let manifest = std::fs::read_to_string(ws.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("\"adapters/acme-sms\""), "{manifest}");
    let dir = ws.join("adapters/acme-sms");
    let mut all = Vec::new();
    files(&dir, &mut all);
    let mut template = Vec::new();
    files(&repo().join("examples/adapter-template"), &mut template);
    assert_eq!(all.len(), template.len(), "{all:?}");
    for file in &all {
        let text = std::fs::read_to_string(file).unwrap();
        for old in [
            "adapter-template",
            "adapter_template",
            "TemplateAdapter",
            "example-sms",
        ] {
            assert!(!text.contains(old), "{} still says `{old}`", file.display());
        }
    }
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert!(lib.contains("const KIND: &'static str = \"acme-sms\";"));
    assert!(lib.contains("export_adapter!(AcmeSmsAdapter);"));
    let config = std::fs::read_to_string(dir.join("gateway.toml")).unwrap();
    assert!(
        config.contains("library = \"libadapter_acme_sms.so\""),
        "{config}"
    );
    let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("name = \"adapter-acme-sms\""));
    assert!(
        !cargo.contains("../../"),
        "outside the repo, paths are absolute: {cargo}"
    );

    let meta = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--offline",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(ws.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        meta.status.success(),
        "{}",
        String::from_utf8_lossy(&meta.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout).unwrap();
    let names: Vec<&str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for needed in ["adapter-acme-sms", "gateway-sdk", "fake-providers"] {
        assert!(names.contains(&needed), "{needed} not resolved: {names:?}");
    }
}
