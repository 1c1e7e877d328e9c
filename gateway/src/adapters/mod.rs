//! Adapter instances: loading provider adapter libraries at start-up and calling them.
//!
//! [`Adapters::load`] opens each `[[adapters]]` library (see [`library`] for the checks
//! and the only `unsafe` in the gateway), creates each instance with its own settings,
//! and keeps them in a cheap-to-clone registry of [`AdapterInstance`]s. The rest of the
//! gateway never sees the C ABI: it calls the trait, whose implementations enforce
//! deadlines and turn adapter panics into errors.

pub mod board;
mod config;
mod error;
mod in_process;
mod instance;
mod kinds;
#[allow(unsafe_code)]
mod library;
pub mod reports;

pub use config::{
    AdapterInstanceConfig, DEFAULT_TIMEOUT, HostContext, Throughput, default_adapters_dir,
    resolve_library,
};
pub use error::LoadError;
pub use in_process::InProcess;
pub use instance::{AdapterInstance, LibraryInstance};
pub use kinds::AdapterKinds;
pub use library::{LibraryInfo, check_library};

use gateway_sdk::CreateContext;
use gateway_sdk::abi::host::LibraryApi;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The loaded adapter instances, in configuration order. Cloning shares them.
#[derive(Clone, Default)]
pub struct Adapters {
    inner: Arc<Registry>,
}

#[derive(Default)]
struct Registry {
    /// In configuration order, for listings.
    list: Vec<Arc<dyn AdapterInstance>>,
    /// Name → index into `list`.
    by_name: HashMap<String, usize>,
}

impl std::fmt::Debug for Adapters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|a| a.name()))
            .finish()
    }
}

impl Adapters {
    /// Loads every instance: libraries are resolved against `dir` (see
    /// [`resolve_library`]), checked, opened once each, and every instance is created
    /// with its own settings. The first failure is returned; nothing is half-loaded.
    pub fn load(
        dir: &Path,
        instances: &[AdapterInstanceConfig],
        ctx: &HostContext,
    ) -> Result<Adapters, LoadError> {
        let mut libraries: HashMap<PathBuf, LibraryApi> = HashMap::new();
        let mut loaded: Vec<Arc<dyn AdapterInstance>> = Vec::with_capacity(instances.len());
        for config in instances {
            config.validate().map_err(|message| LoadError::Config {
                instance: config.name.clone(),
                message,
            })?;
            let path = resolve_library(dir, &config.library);
            let api = match libraries.get(&path) {
                Some(api) => *api,
                None => {
                    let api = library::open(&path)?;
                    libraries.insert(path.clone(), api);
                    api
                }
            };
            let context = CreateContext {
                instance: config.name.clone(),
                data_dir: ctx.data_dir.to_string_lossy().into_owned(),
                public_url: ctx.public_url.clone(),
            };
            let mut inner = api
                .create(config.settings.clone(), context)
                .map_err(|error| LoadError::Create {
                    instance: config.name.clone(),
                    path: path.clone(),
                    error,
                })?;
            if let Some(queue) = &ctx.reports {
                inner.set_report_sink(queue.sink_for(&config.name));
            }
            tracing::info!(
                adapter = %config.name,
                kind = api.kind(),
                version = api.adapter_version(),
                library = %path.display(),
                "adapter instance loaded"
            );
            loaded.push(Arc::new(
                LibraryInstance::new(inner, path, config.timeout)
                    .with_max_inflight(config.max_inflight),
            ));
        }
        Self::try_from_instances(loaded)
    }

    /// A registry of ready-made instances (tests, in-process adapters).
    ///
    /// # Panics
    /// If two instances share a name; use unique names.
    pub fn from_instances(v: Vec<Arc<dyn AdapterInstance>>) -> Adapters {
        Self::try_from_instances(v).expect("adapter instance names must be unique")
    }

    fn try_from_instances(list: Vec<Arc<dyn AdapterInstance>>) -> Result<Adapters, LoadError> {
        let mut by_name = HashMap::with_capacity(list.len());
        for (i, instance) in list.iter().enumerate() {
            if by_name.insert(instance.name().to_owned(), i).is_some() {
                return Err(LoadError::DuplicateName(instance.name().to_owned()));
            }
        }
        Ok(Adapters {
            inner: Arc::new(Registry { list, by_name }),
        })
    }

    /// The instance with this name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn AdapterInstance>> {
        self.inner.by_name.get(name).map(|&i| &self.inner.list[i])
    }

    /// All instances, in configuration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn AdapterInstance>> {
        self.inner.list.iter()
    }

    /// How many instances are loaded.
    pub fn len(&self) -> usize {
        self.inner.list.len()
    }

    /// Whether none are loaded.
    pub fn is_empty(&self) -> bool {
        self.inner.list.is_empty()
    }
}

#[cfg(test)]
mod tests;
