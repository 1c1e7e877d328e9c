//! `GET /v1/adapters`: the loaded adapter instances, and the adapter kinds connections
//! may use, for operators and integrators.

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde_json::json;

/// How the gateway decides which connection settings are secret (libraries do not
/// declare it; see `connections::model`).
const SECRET_RULE: &str = "a setting whose name contains token, secret, password, key, auth or credential (any case), or whose value holds such a name, is write-only and stored encrypted";

/// Lists loaded instances with their library, ABI and adapter versions, channels,
/// capabilities, current health and configured throughput.
#[utoipa::path(get, path = "/v1/adapters", tag = "providers",
    responses((status = 200, description = "`{adapters: [{name, kind, version, abi_version, sdk_version, library, channels, capabilities, health, timeout_ms, throughput, inflight}], kinds: [{kind, library, version, sdk_version, secret_settings_rule}], connections_live}`: configured instances, and the kinds connections may use")),
    security(("bearer" = [])))]
pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    let mut out = Vec::new();
    for a in state.adapters.iter() {
        let health = a.health().await;
        state.metrics.set_adapter_up(a.name(), health.up);
        let throughput = state
            .config
            .adapters
            .iter()
            .find(|c| c.name == a.name())
            .and_then(|c| c.throughput.as_ref())
            .map(|t| json!({ "per_second": t.per_second, "burst": t.burst }));
        let caps = a.capabilities();
        out.push(json!({
            "name": a.name(),
            "kind": a.kind(),
            "version": a.version(),
            "abi_version": a.abi_version(),
            "sdk_version": a.sdk_version(),
            "library": a.library().map(|p| p.display().to_string()),
            "channels": caps.channels,
            "capabilities": {
                "reachability_check": caps.reachability_check,
                "delivery_reports": caps.delivery_reports,
                "provider_renders_text": caps.provider_renders_text,
                "codes": caps.codes,
            },
            "health": health,
            "timeout_ms": a.timeout().as_millis() as u64,
            "throughput": throughput,
            "inflight": a.inflight(),
        }));
    }
    let kinds: Vec<_> = state
        .connections
        .kinds()
        .describe()
        .map(|(kind, library, version, sdk_version)| {
            json!({
                "kind": kind,
                "library": library.display().to_string(),
                "version": version,
                "sdk_version": sdk_version,
                "secret_settings_rule": SECRET_RULE,
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({
        "adapters": out,
        "kinds": kinds,
        "connections_live": state.connections.live_count(),
    }))
}
