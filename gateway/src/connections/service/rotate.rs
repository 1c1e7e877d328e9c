//! `gateway rotate-secrets`: re-sealing every connection's secrets under the current
//! `[secrets]` key, so an old key can be removed.

use super::{Connections, aad};
use crate::connections::ConnectionError;
use crate::connections::model::Connection;
use crate::store::{Millis, Ns, Write, to_json};

/// What `gateway rotate-secrets` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RotateReport {
    /// Connections re-sealed under the current key.
    pub resealed: usize,
    /// Connections already sealed with it (or holding no secrets).
    pub current: usize,
    /// Connections whose secrets did not open (id and reason, no secret).
    pub failed: Vec<(String, String)>,
}

impl Connections {
    /// Re-seals every connection sealed with an older key under the current one.
    pub async fn rotate(&self, now: Millis) -> Result<RotateReport, ConnectionError> {
        let vault = self
            .vault
            .clone()
            .ok_or(ConnectionError::SecretsNotConfigured)?;
        let mut report = RotateReport::default();
        for record in self.list_all(now).await? {
            let Some(sealed) = record.sealed.as_deref() else {
                report.current += 1;
                continue;
            };
            if !vault.is_stale(sealed) {
                report.current += 1;
                continue;
            }
            let plain = match vault.open(sealed, &aad(&record.id)) {
                Ok(p) => p,
                Err(e) => {
                    report.failed.push((record.id.clone(), e.to_string()));
                    continue;
                }
            };
            let resealed = vault.seal(&plain, &aad(&record.id));
            let write = |cur: Option<&str>| {
                match cur.and_then(|s| serde_json::from_str::<Connection>(s).ok()) {
                    // Re-seal only what we read; a concurrent change sealed anew anyway.
                    Some(mut c) if c.sealed.as_deref() == Some(sealed) => {
                        c.sealed = Some(resealed.clone());
                        (Write::Put(to_json(&c), None), ())
                    }
                    _ => (Write::Keep, ()),
                }
            };
            self.store
                .update(Ns::Connection, &record.id, now, write)
                .await?;
            report.resealed += 1;
        }
        Ok(report)
    }
}
