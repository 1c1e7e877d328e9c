//! `gateway check-config`: everything `serve` would refuse at start-up, checked without
//! serving, and a summary with every secret redacted.

use crate::config::Config;
use crate::render::Renderer;
use anyhow::{Context, bail};
use std::fmt::Write as _;
use std::path::Path;

/// Validates the configuration at `file` and returns a printable summary.
pub fn check_config(file: Option<&Path>) -> anyhow::Result<String> {
    let cfg = Config::load(file, None)?;
    Renderer::new(&cfg.render).context("[render]")?;
    crate::limits::Limits::new(&cfg.limits, &crate::server::throughputs(&cfg))
        .context("[limits]")?;
    let dir = crate::server::adapters_dir(&cfg);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "configuration OK{}",
        file.map(|f| format!(": {}", f.display()))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "listen: {}", cfg.server.listen);
    let _ = writeln!(
        out,
        "public_url: {}",
        cfg.server
            .public_url
            .as_deref()
            .unwrap_or("(none: providers get no callback URL)")
    );
    let _ = writeln!(out, "data_dir: {}", cfg.store.data_dir.display());
    let _ = writeln!(out, "store: {}", check_store(&cfg)?);
    let _ = writeln!(
        out,
        "api keys: {}",
        cfg.auth
            .api_keys
            .iter()
            .map(|k| format!("{} (hash ***)", k.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "verification: {} digits, ttl {}, {} checks, {} sends, secret {}",
        cfg.verification.code_length,
        humantime::format_duration(cfg.verification.ttl),
        cfg.verification.max_check_attempts,
        cfg.verification.max_sends,
        if cfg.verification.secret.is_some() {
            "*** (configured)".to_owned()
        } else {
            format!(
                "(generated, in {}, mode 0600)",
                cfg.store
                    .data_dir
                    .join(crate::secret::SECRET_FILE)
                    .display()
            )
        }
    );
    let _ = writeln!(out, "adapters_dir: {}", dir.display());
    for (i, a) in cfg.adapters.iter().enumerate() {
        a.validate()
            .map_err(|m| anyhow::anyhow!("adapters[{i}] (`{}`): {m}", a.name))?;
        let path = crate::adapters::resolve_library(&dir, &a.library);
        let info = crate::adapters::check_library(&path).with_context(|| {
            format!("adapters[{i}] (`{}`): library `{}`", a.name, path.display())
        })?;
        let _ = writeln!(
            out,
            "adapter {}: {} (ABI {}){} settings {}",
            a.name,
            path.display(),
            info.abi_version,
            a.fallback_after
                .map(|d| format!(" fallback_after {}", humantime::format_duration(d)))
                .unwrap_or_default(),
            redact(&a.settings)
        );
    }
    // Creating every instance checks its settings and secret references exactly as
    // `serve` would; a scratch data dir keeps files adapters create out of the real one.
    let scratch = std::env::temp_dir().join(format!("gateway-check-config-{}", std::process::id()));
    let ctx = crate::adapters::HostContext {
        data_dir: scratch.clone(),
        public_url: cfg.server.public_url.clone(),
        reports: None,
    };
    let created = crate::adapters::Adapters::load(&dir, &cfg.adapters, &ctx);
    let _ = std::fs::remove_dir_all(&scratch);
    created.context("creating adapter instances from their settings")?;
    if cfg.adapters.is_empty() {
        let _ = writeln!(
            out,
            "adapters: none (every send will answer 503 no_provider)"
        );
    }
    let _ = writeln!(
        out,
        "default route: {}",
        cfg.routing.default_channels.join(" -> ")
    );
    let window = cfg.routing.late_fallback_window;
    let _ = writeln!(
        out,
        "late fallback window: {}",
        if window.is_zero() {
            "off".to_owned()
        } else {
            humantime::format_duration(window).to_string()
        }
    );
    if cfg.auth.api_keys.is_empty() {
        bail!(
            "[auth] api_keys is empty: no caller could use /v1; add a key made with `gateway hash-key`"
        );
    }
    Ok(out)
}

/// Describes the store backend; for Redis, connects and pings it (the URL is never
/// printed: it may hold a password).
fn check_store(cfg: &Config) -> anyhow::Result<String> {
    match cfg.store.backend {
        crate::store::StoreBackend::Sqlite => Ok("sqlite".into()),
        crate::store::StoreBackend::Redis => {
            let r = &cfg.store.redis;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting a runtime to ping Redis")?;
            runtime
                .block_on(crate::store::RedisStore::connect(r))
                .context("connecting to Redis (`[store.redis]`)")?;
            Ok(format!(
                "redis ({}, key prefix `{}`): PING answered",
                if r.url.is_some() {
                    "standalone, url ***".to_owned()
                } else {
                    format!("cluster, {} seed nodes ***", r.cluster_nodes.len())
                },
                r.key_prefix
            ))
        }
    }
}

/// The settings with secret-looking values replaced by `***`.
pub fn redact(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| {
                    if crate::connections::model::is_secret_name(k) {
                        (k.clone(), serde_json::Value::String("***".into()))
                    } else {
                        (k.clone(), redact(v))
                    }
                })
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(redact).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secret_looking_keys_at_any_depth() {
        let v = serde_json::json!({"account_sid": "AC1", "auth_token": "t", "nested": {"api_key": {"env": "X"}}, "list": [{"secret": 1}]});
        let r = redact(&v).to_string();
        assert!(r.contains("AC1"));
        assert!(
            !r.contains("\"t\"") && !r.contains("\"X\"") && !r.contains(":1"),
            "{r}"
        );
    }

    #[test]
    fn the_summary_says_where_the_generated_secret_is_and_the_late_fallback_window() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("gateway.toml");
        let toml = format!(
            "[store]\ndata_dir = {:?}\n[[auth.api_keys]]\nname = \"dev\"\nhash = \"sha256:{}\"\n[routing]\nlate_fallback_window = \"0s\"\n",
            dir.path().join("data").display().to_string(),
            "0".repeat(64)
        );
        std::fs::write(&file, toml).expect("write");
        let text = check_config(Some(&file)).expect("valid");
        let secret = dir.path().join("data").join(crate::secret::SECRET_FILE);
        assert!(
            text.contains(&format!("secret (generated, in {}", secret.display())),
            "{text}"
        );
        assert!(!text.contains("kept in the store"), "{text}");
        assert!(text.contains("late fallback window: off"), "{text}");
    }
}
