//! `gateway-sdk new-adapter <name>`: a new adapter crate from the template.
//!
//! Copies `examples/adapter-template` of the gateway repository to `adapters/<name>`
//! (package `adapter-<name>`, library `libadapter_<name>.so`, type `<Name>Adapter`,
//! kind and instance `<name>`), adds it to the workspace members, and prints the next
//! steps. The copy builds and passes its tests as it is.
//!
//! `--repo DIR`: the gateway repository (default: the nearest parent of the current
//! directory holding `examples/adapter-template`). `--into DIR`: another workspace to
//! create it in (its `Cargo.toml` must have `members = [...]`); the SDK and fakes are then
//! referenced by absolute path into `--repo`. Written with std only, so the SDK's users
//! compile nothing for it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: gateway-sdk new-adapter <name> [--repo DIR] [--into DIR]
  <name>: lower-case letters, digits and single dashes, starting with a letter (e.g. my-sms)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(next) => {
            use std::io::Write as _;
            // A closed stdout (`| head`) is not a failure: the adapter was created.
            let _ = writeln!(std::io::stdout(), "{next}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gateway-sdk: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let (name, repo, into) = parse(args)?;
    let repo = match repo {
        Some(r) => r,
        None => find_repo()?,
    };
    let template = repo.join("examples/adapter-template");
    if !template.join("Cargo.toml").is_file() {
        return Err(format!(
            "{} has no examples/adapter-template: pass --repo <gateway repository>",
            repo.display()
        ));
    }
    let workspace = into.clone().unwrap_or_else(|| repo.clone());
    let dest = workspace.join("adapters").join(&name);
    if dest.exists() {
        return Err(format!(
            "{} exists already: pick another name",
            dest.display()
        ));
    }
    let renames = Renames::new(&name);
    copy_tree(&template, &dest, &|text| renames.apply(text))?;
    if into.is_some() {
        // Outside the repository, the relative paths point nowhere: use absolute ones.
        let manifest = dest.join("Cargo.toml");
        let text = read(&manifest)?;
        let text = text
            .replace("\"../../sdk\"", &quoted(&repo.join("sdk")))
            .replace("\"../../tests/fakes\"", &quoted(&repo.join("tests/fakes")));
        write(&manifest, &text)?;
    }
    add_member(&workspace.join("Cargo.toml"), &format!("adapters/{name}"))?;
    let package = &renames.package;
    Ok(format!(
        "created {dest} (package {package}, library lib{lib}.so, type {ty}), added to the workspace.
next:
  cargo test -p {package}                              # its tests and the conformance kit
  cargo build --release -p gateway -p {package}        # the gateway and the library, side by side
  cargo run -p {package} --example fake                # its fake provider, for a manual run
  then edit adapters/{name}/src/provider.rs for your provider's API (docs/adapters.md)",
        dest = dest.display(),
        lib = renames.library,
        ty = renames.type_name,
    ))
}

fn parse(args: &[String]) -> Result<(String, Option<PathBuf>, Option<PathBuf>), String> {
    let mut it = args.iter();
    if it.next().map(String::as_str) != Some("new-adapter") {
        return Err(USAGE.into());
    }
    let (mut name, mut repo, mut into) = (None, None, None);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--repo" => repo = Some(PathBuf::from(it.next().ok_or(USAGE)?)),
            "--into" => into = Some(PathBuf::from(it.next().ok_or(USAGE)?)),
            "-h" | "--help" => return Err(USAGE.into()),
            n if name.is_none() && !n.starts_with('-') => name = Some(n.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    let name = name.ok_or(USAGE)?;
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !valid {
        return Err(format!("`{name}` is not a valid adapter name\n{USAGE}"));
    }
    Ok((name, repo, into))
}

/// The template's names and what they become.
struct Renames {
    package: String,
    library: String,
    type_name: String,
    kind: String,
}

impl Renames {
    fn new(name: &str) -> Self {
        let type_name: String = name
            .split('-')
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map_or(String::new(), |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect();
        Self {
            package: format!("adapter-{name}"),
            library: format!("adapter_{}", name.replace('-', "_")),
            type_name: format!("{type_name}Adapter"),
            kind: name.to_owned(),
        }
    }

    fn apply(&self, text: &str) -> String {
        text.replace("adapter-template", &self.package)
            .replace("adapter_template", &self.library)
            .replace("TemplateAdapter", &self.type_name)
            .replace("example-sms", &self.kind)
    }
}

fn find_repo() -> Result<PathBuf, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    cwd.ancestors()
        .find(|d| d.join("examples/adapter-template/Cargo.toml").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            "run this inside the gateway repository, or pass --repo <gateway repository>".into()
        })
}

/// Copies `from` to `to`, passing every file's text through `edit` (the template holds
/// text files only); leaves out build output.
fn copy_tree(from: &Path, to: &Path, edit: &dyn Fn(&str) -> String) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let name = entry.file_name();
        if name == "target" || name == "Cargo.lock" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if src.is_dir() {
            copy_tree(&src, &dst, edit)?;
        } else {
            write(&dst, &edit(&read(&src)?))?;
        }
    }
    Ok(())
}

/// Adds `member` to the `members = [...]` list of the workspace manifest at `path`.
fn add_member(path: &Path, member: &str) -> Result<(), String> {
    let text = read(path)?;
    let start = text
        .find("members = [")
        .ok_or_else(|| format!("{} has no `members = [` list", path.display()))?;
    let close = start
        + text[start..]
            .find(']')
            .ok_or_else(|| format!("{}: unterminated members list", path.display()))?;
    let list = &text[start..close];
    if list.contains(&format!("\"{member}\"")) {
        return Ok(());
    }
    let before = text[..close].trim_end();
    let sep = if before.ends_with('[') || before.ends_with(',') {
        ""
    } else {
        ","
    };
    let updated = format!("{before}{sep}\n    \"{member}\",\n{}", &text[close..]);
    write(path, &updated)
}

fn quoted(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
