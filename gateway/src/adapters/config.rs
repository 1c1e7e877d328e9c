//! Configuration of adapter instances: the `[[adapters]]` tables of the gateway config.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One adapter instance: a library plus its own settings. Several instances may use
/// the same library (say two Twilio accounts), each with its own name and settings.
///
/// ```toml
/// [[adapters]]
/// name = "sms-main"
/// library = "adapter_mock"        # libadapter_mock.so in adapters_dir
/// timeout = "5s"
/// throughput = { per_second = 50, burst = 100 }
/// [adapters.settings]
/// channel = "sms"
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterInstanceConfig {
    /// Instance name: how locations list it in `channels`, and the path segment of its
    /// callback URL (`/v1/callbacks/{name}`). Letters, digits, `-` and `_`.
    pub name: String,
    /// The adapter library: a path (absolute, or relative to `adapters_dir`), a file
    /// name in `adapters_dir` (`libadapter_mock.so`), or a bare library name
    /// (`adapter_mock`), which becomes the platform's `lib{name}.so`.
    pub library: String,
    /// The instance's own settings, handed to the adapter as JSON (the
    /// `[adapters.settings]` table). Each adapter documents its keys.
    #[serde(default = "empty_settings")]
    pub settings: serde_json::Value,
    /// Deadline of every call into this instance (humantime, `5s`, `800ms`). A send uses
    /// the shorter of this and the request's own deadline.
    #[serde(default = "default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
    /// Messages per second the provider allows this instance, if it limits them.
    #[serde(default)]
    pub throughput: Option<Throughput>,
    /// Calls (sends and reachability checks) that may wait on this instance at once.
    /// Beyond it a send skips the instance as throttled (the next channel is tried;
    /// with none left the answer is `503 provider_throttled` with `Retry-After`), so a
    /// provider that hangs cannot pile up requests and memory. Default 256.
    #[serde(default = "default_max_inflight")]
    pub max_inflight: usize,
    /// For an instance that reports delivery: when no `delivered` (or `read`) report
    /// came this long after it accepted a message, the same code goes once through the
    /// location's next channel, as after a late failure (`routing.late_fallback_window`).
    /// Unset (the default): only a reported failure moves a message on.
    #[serde(default, with = "humantime_serde")]
    pub fallback_after: Option<Duration>,
}

/// Default of [`AdapterInstanceConfig::max_inflight`].
pub const DEFAULT_MAX_INFLIGHT: usize = 256;

fn default_max_inflight() -> usize {
    DEFAULT_MAX_INFLIGHT
}

/// A token bucket toward one provider account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Throughput {
    /// Sustained messages per second.
    pub per_second: u32,
    /// Messages that may go at once after a quiet period.
    pub burst: u32,
}

/// What the gateway tells every instance it creates.
#[derive(Debug, Clone)]
pub struct HostContext {
    /// The gateway's data directory (adapters that keep files put them here).
    pub data_dir: PathBuf,
    /// The gateway's public base URL, for provider callbacks.
    pub public_url: Option<String>,
    /// Where instances that push status updates themselves (SMPP receipts) send them;
    /// `None` leaves them unconnected (`check-config`, tests).
    pub reports: Option<super::reports::ReportQueue>,
}

fn empty_settings() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// The default per-call deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

fn default_timeout() -> Duration {
    DEFAULT_TIMEOUT
}

/// The default `adapters_dir`: the directory of the running gateway executable, so a
/// development build finds the adapters `cargo build --workspace` put beside it.
pub fn default_adapters_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where `library` points, given `adapters_dir`.
pub fn resolve_library(adapters_dir: &Path, library: &str) -> PathBuf {
    let path = Path::new(library);
    let is_bare_name = !library.contains(std::path::MAIN_SEPARATOR)
        && !library.contains('/')
        && path.extension().is_none();
    let path = if is_bare_name {
        PathBuf::from(format!(
            "{}{library}{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ))
    } else {
        path.to_path_buf()
    };
    if path.is_absolute() {
        path
    } else {
        adapters_dir.join(path)
    }
}

impl AdapterInstanceConfig {
    /// Checks what the types cannot; the message names the field and what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(format!(
                "`name` = {:?} must be non-empty and use only letters, digits, `-` and `_`",
                self.name
            ));
        }
        if self.name.starts_with("conn_") {
            return Err(format!(
                "`name` = {:?} starts with `conn_`, which is reserved for connections made through the API",
                self.name
            ));
        }
        if self.library.trim().is_empty() {
            return Err("`library` must name an adapter library".into());
        }
        if !self.settings.is_object() {
            return Err("`settings` must be a table".into());
        }
        if self.max_inflight == 0 {
            return Err("`max_inflight` must be at least 1".into());
        }
        if self.timeout.is_zero() {
            return Err("`timeout` must be greater than zero".into());
        }
        if let Some(t) = self.throughput
            && (t.per_second == 0 || t.burst == 0)
        {
            return Err("`throughput.per_second` and `throughput.burst` must be at least 1".into());
        }
        if self.fallback_after.is_some_and(|d| d.is_zero()) {
            // Zero would send every message through the next channel as well, within a
            // second: surely not what was meant.
            return Err(
                "`fallback_after` must be greater than zero (e.g. \"5m\"); leave it out to fall back only on a reported failure"
                    .into(),
            );
        }
        Ok(())
    }
}
