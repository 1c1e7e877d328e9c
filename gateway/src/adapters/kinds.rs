//! [`AdapterKinds`]: the adapter libraries the gateway has opened, by kind, so that
//! instances can be created at run time (provider connections made through the API)
//! by the library's own create function, the same path `[[adapters]]` and
//! `gateway check-config` take.

use super::config::{HostContext, resolve_library};
use super::error::LoadError;
use super::instance::LibraryInstance;
use super::library;
use gateway_sdk::abi::host::LibraryApi;
use gateway_sdk::{AdapterError, CreateContext};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Opened adapter libraries by `Adapter::KIND`. Cloning shares them.
#[derive(Clone, Default)]
pub struct AdapterKinds {
    inner: Arc<BTreeMap<String, Kind>>,
}

/// One opened library.
#[derive(Clone)]
struct Kind {
    api: LibraryApi,
    /// Where it was loaded from (shown in listings; `(in-process)` for tests).
    library: PathBuf,
}

impl std::fmt::Debug for AdapterKinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.inner.keys()).finish()
    }
}

impl AdapterKinds {
    /// Opens each library (resolved against `dir` like `[[adapters]] library`). The same
    /// file named twice is one kind; two files of one kind are an error.
    pub fn open<'a>(
        dir: &Path,
        libraries: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, LoadError> {
        let mut kinds: BTreeMap<String, Kind> = BTreeMap::new();
        for name in libraries {
            let path = resolve_library(dir, name);
            if kinds.values().any(|k| k.library == path) {
                continue;
            }
            let api = library::open(&path)?;
            if let Some(other) = kinds.get(api.kind()) {
                return Err(LoadError::DuplicateKind {
                    kind: api.kind().to_owned(),
                    first: other.library.clone(),
                    second: path,
                });
            }
            kinds.insert(api.kind().to_owned(), Kind { api, library: path });
        }
        Ok(Self {
            inner: Arc::new(kinds),
        })
    }

    /// Kinds from ready tables (tests: `LibraryApi::of::<SomeAdapter>()`).
    pub fn from_apis(apis: impl IntoIterator<Item = LibraryApi>) -> Self {
        let kinds = apis
            .into_iter()
            .map(|api| {
                let kind = Kind {
                    api,
                    library: PathBuf::from("(in-process)"),
                };
                (api.kind().to_owned(), kind)
            })
            .collect();
        Self {
            inner: Arc::new(kinds),
        }
    }

    /// The loaded kinds, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.inner.keys().map(String::as_str)
    }

    /// Whether `kind` is loaded.
    pub fn contains(&self, kind: &str) -> bool {
        self.inner.contains_key(kind)
    }

    /// `(kind, library path, adapter version, sdk version)` of every kind, sorted.
    pub fn describe(&self) -> impl Iterator<Item = (&str, &Path, &'static str, &'static str)> {
        self.inner.iter().map(|(k, v)| {
            (
                k.as_str(),
                v.library.as_path(),
                v.api.adapter_version(),
                v.api.sdk_version(),
            )
        })
    }

    /// Creates an instance of `kind` named `instance` from `settings`, as the loader
    /// does. `None` if the kind is not loaded; the adapter's own error if it refuses the
    /// settings (its message names the setting).
    pub fn create(
        &self,
        kind: &str,
        instance: &str,
        settings: serde_json::Value,
        ctx: &HostContext,
        timeout: Duration,
    ) -> Option<Result<LibraryInstance, AdapterError>> {
        let k = self.inner.get(kind)?;
        let context = CreateContext {
            instance: instance.to_owned(),
            data_dir: ctx.data_dir.to_string_lossy().into_owned(),
            public_url: ctx.public_url.clone(),
        };
        Some(
            k.api
                .create(settings, context)
                .map(|inner| LibraryInstance::new(inner, k.library.clone(), timeout)),
        )
    }
}
