//! `PUT/GET/DELETE /v1/locations/{location_id}`: the HTTP half of [`crate::locations`]
//! (model, validation and storage live there).

use crate::connections::is_connection;
use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::http::json::JsonBody;
use crate::locations::{self, Location, LocationInput, check_location_id};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

/// Creates or replaces a location.
#[utoipa::path(put, path = "/v1/locations/{location_id}", tag = "locations",
    params(("location_id" = String, Path, description = "The platform's location id")),
    request_body = LocationInput,
    responses((status = 200, description = "Replaced", body = Location), (status = 201, description = "Created", body = Location),
        (status = 422, description = "A field is invalid (`validation_failed`, `custom_template_not_available`, `unknown_channel`)")),
    security(("bearer" = [])))]
pub async fn put(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<LocationInput>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    check_location_id(&id)?;
    let now = crate::clock::rfc3339(state.clock.now());
    let existing = locations::read_stored(state.store.as_ref(), state.now_ms(), &id).await?;
    let old_channels = existing.as_ref().and_then(|l| l.channels.clone());
    let location = locations::validate(
        &state.renderer,
        &state.adapters,
        &id,
        body.value,
        &now,
        existing.map(|l| l.created_at),
    )?;
    let (added, removed) =
        connection_changes(old_channels.as_deref(), location.channels.as_deref());
    check_connections(&state, &id, location.channels.as_deref()).await?;
    // Users are noted before the write and forgotten after it, so the list of a
    // connection's users is never short of the truth (see `connections::records`).
    for conn in &added {
        state
            .connections
            .set_user(conn, &id, true, state.now_ms())
            .await
            .map_err(crate::api::connections::errors::problem)?;
    }
    let replaced = locations::save(
        &state.locations,
        state.store.as_ref(),
        state.now_ms(),
        &location,
    )
    .await?;
    forget_users(&state, &id, &removed).await;
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(HttpResponse::build(status).json(location))
}

/// Reads a location.
#[utoipa::path(get, path = "/v1/locations/{location_id}", tag = "locations",
    params(("location_id" = String, Path, description = "The platform's location id")),
    responses((status = 200, body = Location), (status = 404, description = "`location_not_found`")),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    check_location_id(&id)?;
    Ok(HttpResponse::Ok().json(state.location(&id).await?))
}

/// Removes a location.
#[utoipa::path(delete, path = "/v1/locations/{location_id}", tag = "locations",
    params(("location_id" = String, Path, description = "The platform's location id")),
    responses((status = 204, description = "Removed"), (status = 404, description = "`location_not_found`")),
    security(("bearer" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    check_location_id(&id)?;
    let existing = locations::read_stored(state.store.as_ref(), state.now_ms(), &id).await?;
    let removed =
        locations::remove(&state.locations, state.store.as_ref(), state.now_ms(), &id).await;
    let (_, gone) = connection_changes(existing.and_then(|l| l.channels).as_deref(), None);
    forget_users(&state, &id, &gone).await;
    removed?;
    Ok(HttpResponse::NoContent().finish())
}

/// Connection ids newly listed, and no longer listed, between two channel lists.
fn connection_changes(
    old: Option<&[String]>,
    new: Option<&[String]>,
) -> (Vec<String>, Vec<String>) {
    let conns = |l: Option<&[String]>| -> Vec<String> {
        l.unwrap_or_default()
            .iter()
            .filter(|n| is_connection(n))
            .cloned()
            .collect()
    };
    let (old, new) = (conns(old), conns(new));
    let added = new.iter().filter(|n| !old.contains(n)).cloned().collect();
    let removed = old.iter().filter(|n| !new.contains(n)).cloned().collect();
    (added, removed)
}

/// Every connection a location lists must exist and be its own or shared.
async fn check_connections(
    state: &AppState,
    location_id: &str,
    channels: Option<&[String]>,
) -> Result<(), ApiError> {
    for (i, name) in channels.unwrap_or_default().iter().enumerate() {
        if !is_connection(name) || state.adapters.get(name).is_some() {
            continue;
        }
        let conn = state
            .connections
            .get(name, state.now_ms())
            .await
            .map_err(crate::api::connections::errors::problem)?;
        match conn {
            None => {
                return Err(ApiError::new(
                    ErrorCode::UnknownChannel,
                    format!("No connection `{name}` exists; create it with POST /v1/connections."),
                )
                .with("field", format!("channels[{i}]")));
            }
            Some(c)
                if c.location_id
                    .as_deref()
                    .is_some_and(|owner| owner != location_id) =>
            {
                return Err(ApiError::new(ErrorCode::ConnectionNotAllowed, format!(
                        "Connection `{name}` belongs to another location; a location may list its own connections and shared ones."
                    ),
                )
                .with("field", format!("channels[{i}]")));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Forgets `location_id` as a user of `removed` (after the location was written). A
/// failure only leaves a stale entry, which `DELETE /v1/connections` re-checks.
async fn forget_users(state: &AppState, location_id: &str, removed: &[String]) {
    for conn in removed {
        if let Err(e) = state
            .connections
            .set_user(conn, location_id, false, state.now_ms())
            .await
        {
            tracing::warn!(connection = %conn, error = %e, "could not update a connection's users");
        }
    }
}
