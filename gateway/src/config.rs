//! Gateway configuration: built-in defaults, then the TOML file, then
//! `GATEWAY__SECTION__KEY` environment variables, layered with the `config` crate.
//!
//! Every struct denies unknown keys, so a misspelt key is an error that names it, and
//! every field is documented here and in `docs/configuration.md`. Secrets are
//! [`Secret`]s: they accept `{ env = "VAR" }` references and never print.

pub use crate::auth::{ApiKeyConfig, AuthConfig};
use gateway_sdk::Secret;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Prefix of environment variables that override the file (`GATEWAY__SERVER__LISTEN`).
pub const ENV_PREFIX: &str = "GATEWAY";

mod server;
pub use server::ServerConfig;

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP listener.
    pub server: ServerConfig,
    /// Where state lives.
    pub store: StoreConfig,
    /// API keys accepted on `/v1/*`.
    pub auth: AuthConfig,
    /// Log output.
    pub log: LogConfig,
    /// Codes the gateway generates itself (`/v1/verifications`).
    pub verification: VerificationConfig,
    /// Routing defaults.
    pub routing: RoutingConfig,
    /// Templates, languages and operator rules.
    pub render: crate::render::RenderConfig,
    /// Rate limits, fraud guards and throughput shaping.
    pub limits: crate::limits::LimitsConfig,
    /// Directory adapter libraries are loaded from; default: the gateway executable's
    /// directory.
    pub adapters_dir: Option<PathBuf>,
    /// Adapter instances (`[[adapters]]`); several may share one library.
    pub adapters: Vec<crate::adapters::AdapterInstanceConfig>,
    /// Provider connections made through the API.
    pub connections: crate::connections::ConnectionsConfig,
    /// The keys provider secrets of connections are encrypted under.
    pub secrets: crate::vault::SecretsConfig,
}

/// `[store]`: persistence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Which backend holds state: `sqlite` (one embedded file, one instance) or
    /// `redis` (shared by several instances; needs `[store.redis]` and a configured
    /// `verification.secret`).
    pub backend: crate::store::StoreBackend,
    /// `[store.redis]`: the shared backend, used when `backend = "redis"`.
    pub redis: crate::store::RedisConfig,
    /// Directory for the SQLite file (`gateway.db`) and adapter files; `--data-dir`
    /// overrides it. Created if missing.
    pub data_dir: PathBuf,
    /// How long a write waits for the database lock before failing with 503.
    #[serde(with = "humantime_serde")]
    pub busy_timeout: Duration,
    /// How often expired records are pruned.
    #[serde(with = "humantime_serde")]
    pub prune_interval: Duration,
    /// How long message records (and their delivery history) are kept.
    #[serde(with = "humantime_serde")]
    pub message_retention: Duration,
    /// How long an `Idempotency-Key` is remembered.
    #[serde(with = "humantime_serde")]
    pub idempotency_ttl: Duration,
    /// How long a location's settings are served from memory. This instance's own
    /// changes apply at once; the TTL bounds how long a change made by another
    /// instance sharing the store can go unseen. `0s` reads the store every time.
    #[serde(with = "humantime_serde")]
    pub location_cache_ttl: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            backend: crate::store::StoreBackend::Sqlite,
            redis: crate::store::RedisConfig::default(),
            data_dir: PathBuf::from("./data"),
            busy_timeout: Duration::from_secs(5),
            prune_interval: Duration::from_secs(60),
            message_retention: Duration::from_secs(7 * 24 * 3600),
            idempotency_ttl: Duration::from_secs(24 * 3600),
            location_cache_ttl: Duration::from_secs(5),
        }
    }
}

/// `[log]`: log output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` for people, `json` for log shippers.
    pub format: LogFormat,
    /// A `tracing` filter (`info`, `gateway=debug,actix_web=warn`); `RUST_LOG` overrides it.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[verification]`: gateway-generated codes and confirmation tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerificationConfig {
    /// Digits in a generated code, 4 to 10.
    pub code_length: u8,
    /// How long a code can be checked.
    #[serde(with = "humantime_serde")]
    pub ttl: Duration,
    /// Wrong guesses allowed before the verification fails.
    pub max_check_attempts: u32,
    /// Sends (first send plus resends) allowed per verification.
    pub max_sends: u32,
    /// Key for hashing codes and signing tokens. If absent, one is generated on first
    /// start into `<data_dir>/server-secret` (mode 0600, never in the store), so codes
    /// survive restarts; instances sharing a store must then share that file, or set
    /// this (from the environment) to the same value.
    pub secret: Option<Secret>,
    /// How long a confirmation token stays valid.
    #[serde(with = "humantime_serde")]
    pub token_ttl: Duration,
}

impl Default for VerificationConfig {
    fn default() -> Self {
        Self {
            code_length: 6,
            ttl: Duration::from_secs(600),
            max_check_attempts: 5,
            max_sends: 5,
            secret: None,
            token_ttl: Duration::from_secs(900),
        }
    }
}

/// `[routing]`: how messages find an adapter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// Adapter instances tried, in order, for locations that list no `channels`.
    pub default_channels: Vec<String>,
    /// How long after a channel accepted a message a delivery report saying it failed
    /// (`failed`, `undelivered`, `expired`) still sends the same code once through the
    /// location's next channel; `"0s"` turns this late fallback off.
    #[serde(with = "humantime_serde")]
    pub late_fallback_window: Duration,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            default_channels: Vec::new(),
            late_fallback_window: Duration::from_secs(120),
        }
    }
}

/// Why the configuration cannot be used. Each message names the key or file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or an environment variable could not be read or parsed, or a key is
    /// unknown or has the wrong type.
    #[error("{0}")]
    Load(String),
    /// A value parsed but is not allowed.
    #[error("invalid value for `{key}`: {message}")]
    Invalid {
        /// Dotted key path (`verification.code_length`).
        key: String,
        /// What is allowed.
        message: String,
    },
}

impl ConfigError {
    fn invalid(key: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (if given), then environment overrides.
    ///
    /// `env` is the environment to read; `None` reads the process environment. Tests
    /// pass a map so they never mutate the process environment.
    pub fn load(
        file: Option<&Path>,
        env: Option<HashMap<String, String>>,
    ) -> Result<Config, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Load(format!(
                    "config file `{}` does not exist or is not a file",
                    path.display()
                )));
            }
            builder = builder.add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        let env_source = config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("routing.default_channels")
            .with_list_parse_key("limits.allowed_countries")
            .with_list_parse_key("limits.denied_countries")
            .with_list_parse_key("limits.test_numbers")
            .with_list_parse_key("connections.libraries")
            .with_list_parse_key("secrets.previous_keys")
            .source(env.map(|m| m.into_iter().collect()));
        builder = builder.add_source(env_source);
        let raw = builder
            .build()
            .map_err(|e| ConfigError::Load(describe(file, &e)))?;
        let cfg: Config = raw
            .try_deserialize()
            .map_err(|e| ConfigError::Load(describe(file, &e)))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks values serde cannot: ranges, formats, cross-references.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let v = &self.verification;
        if !(4..=10).contains(&v.code_length) {
            return Err(ConfigError::invalid(
                "verification.code_length",
                "must be 4 to 10 digits",
            ));
        }
        if v.ttl.is_zero() || v.max_check_attempts == 0 || v.max_sends == 0 || v.token_ttl.is_zero()
        {
            return Err(ConfigError::invalid(
                "verification",
                "ttl, token_ttl, max_check_attempts and max_sends must be greater than zero",
            ));
        }
        if self.limits.throughput_scope == crate::limits::ThroughputScope::Cluster
            && self.store.backend != crate::store::StoreBackend::Redis
        {
            return Err(ConfigError::invalid(
                "limits.throughput_scope",
                "`cluster` keeps throughput buckets in the shared store: it needs `store.backend = \"redis\"`",
            ));
        }
        if self.store.backend == crate::store::StoreBackend::Redis {
            self.store
                .redis
                .validate()
                .map_err(|(key, message)| ConfigError::invalid(&key, message))?;
            if v.secret.is_none() {
                return Err(ConfigError::invalid(
                    "verification.secret",
                    "is required with `store.backend = \"redis\"`: every instance sharing the store must hash codes and sign tokens with the same key; set it (e.g. `secret = { env = \"GATEWAY_VERIFICATION_SECRET\" }`, at least 16 characters) to the same value on every instance",
                ));
            }
        }
        if let Some(secret) = &v.secret
            && secret.expose().len() < 16
        {
            return Err(ConfigError::invalid(
                "verification.secret",
                "must be at least 16 characters",
            ));
        }
        self.auth
            .validate()
            .map_err(|(key, message)| ConfigError::invalid(&key, message))?;
        if let Some(url) = &self.server.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::invalid(
                "server.public_url",
                "must start with http:// or https://",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in self.adapters.iter().enumerate() {
            a.validate()
                .map_err(|m| ConfigError::invalid(&format!("adapters[{i}]"), m))?;
            if !seen.insert(a.name.as_str()) {
                return Err(ConfigError::invalid(
                    &format!("adapters[{i}].name"),
                    format!("`{}` is used twice", a.name),
                ));
            }
        }
        for (i, name) in self.routing.default_channels.iter().enumerate() {
            if !seen.contains(name.as_str()) {
                return Err(ConfigError::invalid(
                    &format!("routing.default_channels[{i}]"),
                    format!("no [[adapters]] instance is named `{name}`"),
                ));
            }
        }
        self.connections
            .validate()
            .map_err(|(key, message)| ConfigError::invalid(key, message))?;
        crate::vault::Vault::from_config(&self.secrets)
            .map_err(|e| ConfigError::Load(e.to_string()))?;
        self.limits
            .validate()
            .map_err(|e| ConfigError::Load(e.to_string()))?;
        if self.server.max_body_bytes < 1024 {
            return Err(ConfigError::invalid(
                "server.max_body_bytes",
                "must be at least 1024",
            ));
        }
        Ok(())
    }
}

/// Prefixes a `config` error with the file it came from.
fn describe(file: Option<&Path>, err: &config::ConfigError) -> String {
    match file {
        Some(p) => format!("{}: {err}", p.display()),
        None => err.to_string(),
    }
}

#[cfg(test)]
mod tests;
