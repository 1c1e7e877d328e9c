//! `POST/GET/PATCH/DELETE /v1/connections[/{id}]`, `POST /v1/connections/{id}/test`:
//! provider connections made at run time. Secrets are write-only: a response names the
//! secret settings that are set, never their values.

pub mod errors;

use crate::connections::{Connection, ConnectionPatch, NewConnection};
use crate::error::ApiError;
use crate::flows::channels::is_connection;
use crate::http::json::JsonBody;
use crate::locations::{Location, check_location_id};
use crate::state::AppState;
use crate::store::{Ns, get_json};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use errors::{in_use, not_found, problem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// A connection as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionView {
    /// `conn_…`: what a location's `channels` names, and the callback path segment.
    pub id: String,
    /// The adapter kind.
    pub kind: String,
    /// A name for people.
    pub name: String,
    /// The owning location; null: any location may use it.
    pub location_id: Option<String>,
    /// The settings that are not secret.
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    /// Names of the secret settings that are set (their values are never returned).
    pub secret_settings: Vec<String>,
    /// Where the provider posts delivery reports (`{public_url}/v1/callbacks/{id}`);
    /// null without `server.public_url`.
    pub callback_url: Option<String>,
    /// Bumped by every change.
    pub version: u64,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// The view of `c`.
pub fn view(state: &AppState, c: Connection) -> ConnectionView {
    let callback_url = state
        .config
        .server
        .public_url
        .as_ref()
        .map(|u| format!("{}/v1/callbacks/{}", u.trim_end_matches('/'), c.id));
    ConnectionView {
        id: c.id,
        kind: c.kind,
        name: c.name,
        location_id: c.location_id,
        settings: c.settings,
        secret_settings: c.secret_keys,
        callback_url,
        version: c.version,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

fn check_id(id: &str) -> Result<(), ApiError> {
    let ok = is_connection(id)
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok { Ok(()) } else { Err(not_found(id)) }
}

/// Creates a connection; its settings are checked by creating the adapter instance.
#[utoipa::path(post, path = "/v1/connections", tag = "connections",
    request_body = NewConnection,
    responses((status = 201, body = ConnectionView),
        (status = 422, description = "`validation_failed`, `unknown_adapter_kind` (lists `known_kinds`), `invalid_settings` (the adapter's words, `field` names the setting)"),
        (status = 503, description = "`secrets_not_configured`: the settings hold secrets but no [secrets] key is configured")),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    body: JsonBody<NewConnection>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    if let Some(location) = &input.location_id {
        check_location_id(location)?;
    }
    let created = state
        .connections
        .create(input, state.clock.now())
        .await
        .map_err(problem)?;
    let location = format!("/v1/connections/{}", created.id);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(view(&state, created)))
}

/// Reads a connection.
#[utoipa::path(get, path = "/v1/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 200, body = ConnectionView), (status = 404, description = "`connection_not_found`")),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    check_id(&id)?;
    let c = state
        .connections
        .require(&id, state.now_ms())
        .await
        .map_err(problem)?;
    Ok(HttpResponse::Ok().json(view(&state, c)))
}

/// `GET /v1/connections` filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this location's own connections.
    pub location_id: Option<String>,
    /// Only the shared connections (those without a location).
    pub shared: Option<bool>,
}

/// Lists connections: a location's own, the shared ones, or all.
#[utoipa::path(get, path = "/v1/connections", tag = "connections", params(ListQuery),
    responses((status = 200, description = "`{connections: [ConnectionView]}`")),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let now = state.now_ms();
    let found = match (&query.location_id, query.shared) {
        (Some(l), _) => {
            check_location_id(l)?;
            state.connections.list_owned(Some(l), now).await
        }
        (None, Some(true)) => state.connections.list_owned(None, now).await,
        (None, _) => state.connections.list_all(now).await,
    }
    .map_err(problem)?;
    let list: Vec<ConnectionView> = found.into_iter().map(|c| view(&state, c)).collect();
    Ok(HttpResponse::Ok().json(json!({ "connections": list })))
}

/// Changes a connection's name or settings (merged key by key; `null` removes one). The
/// next send uses the change, here at once and on other instances within a second.
#[utoipa::path(patch, path = "/v1/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "Connection id")),
    request_body = ConnectionPatch,
    responses((status = 200, body = ConnectionView), (status = 404, description = "`connection_not_found`"),
        (status = 409, description = "`connection_changed`: changed concurrently; read and retry"),
        (status = 422, description = "`validation_failed`, `invalid_settings`")),
    security(("bearer" = [])))]
pub async fn patch(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<ConnectionPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    check_id(&id)?;
    let c = state
        .connections
        .patch(&id, body.value, state.clock.now())
        .await
        .map_err(problem)?;
    Ok(HttpResponse::Ok().json(view(&state, c)))
}

/// `DELETE /v1/connections/{id}` options.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// Delete even if locations still list it (their sends then skip it).
    pub force: Option<bool>,
}

/// The locations whose stored channels name connection `id` now.
pub async fn using_locations(state: &AppState, id: &str) -> Result<Vec<String>, ApiError> {
    let now = state.now_ms();
    let listed = state.connections.users(id, now).await.map_err(problem)?;
    let mut using = Vec::new();
    for location_id in listed {
        let loc =
            get_json::<Location>(state.store.as_ref(), Ns::Location, &location_id, now).await?;
        if loc.is_some_and(|l| l.channels.is_some_and(|c| c.iter().any(|n| n == id))) {
            using.push(location_id);
        }
    }
    Ok(using)
}

/// Removes a connection; `409 connection_in_use` names the locations that still list it
/// unless `?force=true`.
#[utoipa::path(delete, path = "/v1/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "Connection id"), DeleteQuery),
    responses((status = 204, description = "Removed"), (status = 404, description = "`connection_not_found`"),
        (status = 409, description = "`connection_in_use`: `locations` lists who uses it")),
    security(("bearer" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    check_id(&id)?;
    state
        .connections
        .require(&id, state.now_ms())
        .await
        .map_err(problem)?;
    let using = using_locations(&state, &id).await?;
    if !using.is_empty() && query.force != Some(true) {
        return Err(in_use(&id, &using));
    }
    state
        .connections
        .delete(&id, state.now_ms())
        .await
        .map_err(problem)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Runs the adapter's health check on the connection and answers what it said.
#[utoipa::path(post, path = "/v1/connections/{id}/test", tag = "connections",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 200, description = "`{id, kind, health: {up, detail}}`"), (status = 404, description = "`connection_not_found`"),
        (status = 409, description = "`connection_unusable`: its settings or secrets cannot be used")),
    security(("bearer" = [])))]
pub async fn test(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    check_id(&id)?;
    let c = state
        .connections
        .require(&id, state.now_ms())
        .await
        .map_err(problem)?;
    let health = state
        .connections
        .test(&id, state.now_ms())
        .await
        .map_err(problem)?;
    Ok(HttpResponse::build(StatusCode::OK)
        .json(json!({ "id": id, "kind": c.kind, "health": health })))
}
