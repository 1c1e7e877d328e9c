//! [`Connections`]: create, read, change, remove and resolve connections.

use super::live::LiveCache;
use super::model::{self, Connection, ConnectionPatch, NewConnection};
use super::records;
use super::{ConnectionError, ConnectionsConfig};
use crate::adapters::{AdapterInstance, AdapterKinds, HostContext};
use crate::clock::rfc3339;
use crate::store::{Millis, Ns, Store, Write, get_json, millis, to_json};
use crate::vault::Vault;
use gateway_sdk::{AdapterError, Health};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

mod rotate;

pub use rotate::RotateReport;

/// The connections of one gateway instance. Cheap to share behind an `Arc`.
pub struct Connections {
    store: Arc<dyn Store>,
    /// `None` when no `[secrets]` key is configured: connections without secrets work.
    vault: Option<Arc<Vault>>,
    kinds: AdapterKinds,
    host: HostContext,
    timeout: Duration,
    live: LiveCache,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("kinds", &self.kinds)
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}

fn ms(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// The associated data a connection's secrets are bound to.
fn aad(id: &str) -> Vec<u8> {
    format!("connection:{id}").into_bytes()
}

impl Connections {
    /// Connections over `store`, creating instances of `kinds`.
    pub fn new(
        store: Arc<dyn Store>,
        vault: Option<Arc<Vault>>,
        kinds: AdapterKinds,
        host: HostContext,
        config: &ConnectionsConfig,
    ) -> Self {
        Self {
            store,
            vault,
            kinds,
            host,
            timeout: config.timeout,
            live: LiveCache::new(config.max_live, ms(config.recheck), ms(config.idle_timeout)),
        }
    }

    /// The adapter kinds connections may use.
    pub fn kinds(&self) -> &AdapterKinds {
        &self.kinds
    }

    /// Live instances held now.
    pub fn live_count(&self) -> usize {
        self.live.len()
    }

    /// Drops instances idle for `connections.idle_timeout`; returns how many.
    pub fn sweep(&self, now: OffsetDateTime) -> usize {
        self.live.sweep(millis(now))
    }

    /// Reads one connection.
    pub async fn get(&self, id: &str, now: Millis) -> Result<Option<Connection>, ConnectionError> {
        Ok(get_json::<Connection>(self.store.as_ref(), Ns::Connection, id, now).await?)
    }

    /// Reads one connection or fails with [`ConnectionError::NotFound`].
    pub async fn require(&self, id: &str, now: Millis) -> Result<Connection, ConnectionError> {
        self.get(id, now)
            .await?
            .ok_or_else(|| ConnectionError::NotFound(id.to_owned()))
    }

    /// The connections of a location (`Some`), or the shared ones (`None`).
    pub async fn list_owned(
        &self,
        location_id: Option<&str>,
        now: Millis,
    ) -> Result<Vec<Connection>, ConnectionError> {
        let key = records::owner_key(location_id);
        self.read_all(records::list(self.store.as_ref(), &key, now).await?, now)
            .await
    }

    /// Every connection (reads all 64 `all:` lists, then every record).
    pub async fn list_all(&self, now: Millis) -> Result<Vec<Connection>, ConnectionError> {
        let mut ids = Vec::new();
        for key in records::shard_keys() {
            ids.extend(records::list(self.store.as_ref(), &key, now).await?);
        }
        let mut all = self.read_all(ids, now).await?;
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    async fn read_all(
        &self,
        ids: Vec<String>,
        now: Millis,
    ) -> Result<Vec<Connection>, ConnectionError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            // A listed id whose record is gone was deleted (or never finished).
            if let Some(c) = self.get(&id, now).await? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Locations listed as using connection `id` (a superset: the caller checks each).
    pub async fn users(&self, id: &str, now: Millis) -> Result<Vec<String>, ConnectionError> {
        Ok(records::list(self.store.as_ref(), &records::users_key(id), now).await?)
    }

    /// Notes that `location_id` uses (or no longer uses) connection `id`. Call with
    /// `true` before the location is written and with `false` after.
    pub async fn set_user(
        &self,
        id: &str,
        location_id: &str,
        uses: bool,
        now: Millis,
    ) -> Result<(), ConnectionError> {
        let key = records::users_key(id);
        let store = self.store.as_ref();
        if uses {
            records::add(store, &key, location_id, now).await?;
        } else {
            records::remove(store, &key, location_id, now).await?;
        }
        Ok(())
    }

    /// Creates a connection after its adapter accepted the settings.
    pub async fn create(
        &self,
        input: NewConnection,
        now: OffsetDateTime,
    ) -> Result<Connection, ConnectionError> {
        let name = model::check_name(&input.name).map_err(|message| invalid("name", message))?;
        if !self.kinds.contains(&input.kind) {
            return Err(ConnectionError::UnknownKind {
                kind: input.kind,
                known: self.kinds.names().map(str::to_owned).collect(),
            });
        }
        let settings = model::check_settings(&input.settings)
            .map_err(|(field, message)| invalid(&field, message))?
            .clone();
        let id = format!(
            "{}{}",
            super::CONNECTION_PREFIX,
            ulid::Ulid::new().to_string().to_ascii_lowercase()
        );
        let instance = self.build(&id, &input.kind, settings.clone())?;
        let stamp = rfc3339(now);
        let mut record = Connection {
            id: id.clone(),
            kind: input.kind,
            name,
            location_id: input.location_id,
            settings: Map::new(),
            sealed: None,
            secret_keys: Vec::new(),
            version: 1,
            created_at: stamp.clone(),
            updated_at: stamp,
        };
        self.seal_into(&mut record, settings)?;
        let now_ms = millis(now);
        let store = self.store.as_ref();
        // Lists first, record last: see `records`.
        records::add(
            store,
            &records::owner_key(record.location_id.as_deref()),
            &id,
            now_ms,
        )
        .await?;
        records::add(store, &records::shard_key(&id), &id, now_ms).await?;
        store
            .put(Ns::Connection, &id, to_json(&record), None, now_ms)
            .await?;
        self.live.insert(&id, instance, record.version, now_ms);
        tracing::info!(connection = %id, kind = %record.kind, "connection created");
        Ok(record)
    }

    /// Changes a connection's name or settings; the new settings are checked by
    /// creating the instance, which replaces the live one at once here and within
    /// `connections.recheck` on other gateway instances.
    pub async fn patch(
        &self,
        id: &str,
        patch: ConnectionPatch,
        now: OffsetDateTime,
    ) -> Result<Connection, ConnectionError> {
        let now_ms = millis(now);
        let current = self.require(id, now_ms).await?;
        let mut next = current.clone();
        if let Some(name) = &patch.name {
            next.name = model::check_name(name).map_err(|m| invalid("name", m))?;
        }
        let mut instance = None;
        if let Some(changes) = &patch.settings {
            let changes = model::check_settings(changes).map_err(|(f, m)| invalid(&f, m))?;
            let settings = model::merge(self.open_settings(&current)?, changes);
            instance = Some(self.build(id, &current.kind, settings.clone())?);
            self.seal_into(&mut next, settings)?;
        }
        next.version = current.version + 1;
        next.updated_at = rfc3339(now);
        let encoded = to_json(&next);
        let write = |cur: Option<&str>| {
            let cur_version = cur
                .and_then(|s| serde_json::from_str::<Connection>(s).ok())
                .map(|c| c.version);
            let changed_meanwhile = cur_version != Some(current.version);
            if changed_meanwhile {
                (Write::Keep, true)
            } else {
                (Write::Put(encoded.clone(), None), false)
            }
        };
        let changed_meanwhile = self.store.update(Ns::Connection, id, now_ms, write).await?;
        if changed_meanwhile {
            return Err(ConnectionError::Conflict(id.to_owned()));
        }
        self.live.remove(id);
        if let Some(instance) = instance {
            self.live.insert(id, instance, next.version, now_ms);
        }
        tracing::info!(connection = %id, version = next.version, "connection changed");
        Ok(next)
    }

    /// Removes a connection (the caller has checked who uses it). Its live instance
    /// goes at once; sends still running on it finish.
    pub async fn delete(&self, id: &str, now: Millis) -> Result<(), ConnectionError> {
        let record = self.require(id, now).await?;
        let store = self.store.as_ref();
        store.delete(Ns::Connection, id, now).await?;
        self.live.remove(id);
        records::remove(
            store,
            &records::owner_key(record.location_id.as_deref()),
            id,
            now,
        )
        .await?;
        records::remove(store, &records::shard_key(id), id, now).await?;
        store
            .delete(Ns::ConnectionIndex, &records::users_key(id), now)
            .await?;
        tracing::info!(connection = %id, "connection deleted");
        Ok(())
    }

    /// The live instance of connection `id`, built on first use; `None` if there is no
    /// such connection. A change made anywhere is picked up within `recheck`.
    pub async fn instance(
        &self,
        id: &str,
        now: Millis,
    ) -> Result<Option<Arc<dyn AdapterInstance>>, ConnectionError> {
        if let Some(instance) = self.live.fresh(id, now) {
            return Ok(Some(instance));
        }
        let Some(record) = self.get(id, now).await? else {
            self.live.remove(id);
            return Ok(None);
        };
        if let Some(instance) = self.live.confirm(id, record.version, now) {
            return Ok(Some(instance));
        }
        let settings = self.open_settings(&record)?;
        let instance =
            self.build(id, &record.kind, settings)
                .map_err(|e| ConnectionError::Unusable {
                    id: id.to_owned(),
                    message: e.to_string(),
                })?;
        Ok(Some(self.live.insert(id, instance, record.version, now)))
    }

    /// Runs the adapter's health check on connection `id`.
    pub async fn test(&self, id: &str, now: Millis) -> Result<Health, ConnectionError> {
        let instance = self
            .instance(id, now)
            .await?
            .ok_or_else(|| ConnectionError::NotFound(id.to_owned()))?;
        Ok(instance.health().await)
    }

    /// Creates an instance of `kind` named `id` from full settings.
    fn build(
        &self,
        id: &str,
        kind: &str,
        settings: Map<String, Value>,
    ) -> Result<Arc<dyn AdapterInstance>, ConnectionError> {
        let created = self
            .kinds
            .create(kind, id, Value::Object(settings), &self.host, self.timeout)
            .ok_or_else(|| ConnectionError::UnknownKind {
                kind: kind.to_owned(),
                known: self.kinds.names().map(str::to_owned).collect(),
            })?;
        match created {
            Ok(instance) => Ok(Arc::new(
                instance.with_metric_label(model::metric_label(kind)),
            )),
            Err(AdapterError::Config { message }) => Err(ConnectionError::Settings {
                field: model::named_setting(&message).map(|k| format!("settings.{k}")),
                message,
            }),
            Err(other) => Err(ConnectionError::Settings {
                field: None,
                message: other.to_string(),
            }),
        }
    }

    /// Splits `settings` into `record`, sealing the secret ones.
    fn seal_into(
        &self,
        record: &mut Connection,
        settings: Map<String, Value>,
    ) -> Result<(), ConnectionError> {
        let (public, secret) = model::split(settings);
        record.settings = public;
        record.secret_keys = secret.keys().cloned().collect();
        record.secret_keys.sort();
        record.sealed = if secret.is_empty() {
            None
        } else {
            let vault = self
                .vault
                .as_ref()
                .ok_or(ConnectionError::SecretsNotConfigured)?;
            let plain = serde_json::to_vec(&secret).unwrap_or_default();
            Some(vault.seal(&plain, &aad(&record.id)))
        };
        Ok(())
    }

    /// The full settings of a stored connection (secrets opened).
    fn open_settings(&self, record: &Connection) -> Result<Map<String, Value>, ConnectionError> {
        let mut settings = record.settings.clone();
        let Some(sealed) = &record.sealed else {
            return Ok(settings);
        };
        let unusable = |message: String| ConnectionError::Unusable {
            id: record.id.clone(),
            message,
        };
        let vault = self.vault.as_ref().ok_or_else(|| {
            unusable("its secrets are sealed but no [secrets] key is configured".into())
        })?;
        let plain = vault
            .open(sealed, &aad(&record.id))
            .map_err(|e| unusable(e.to_string()))?;
        let secret: Map<String, Value> = serde_json::from_slice(&plain)
            .map_err(|_| unusable("its sealed settings are not a JSON object".into()))?;
        settings.extend(secret);
        Ok(settings)
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ConnectionError {
    ConnectionError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}
