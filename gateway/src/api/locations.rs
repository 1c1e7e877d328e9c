//! `PUT/GET/DELETE /v1/locations/{location_id}`: the HTTP half of [`crate::locations`]
//! (model, validation and storage live there).

use crate::error::ApiError;
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
    let location = locations::validate(
        &state.renderer,
        &state.adapters,
        &id,
        body.value,
        &now,
        existing.map(|l| l.created_at),
    )?;
    let replaced = locations::save(
        &state.locations,
        state.store.as_ref(),
        state.now_ms(),
        &location,
    )
    .await?;
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
    locations::remove(&state.locations, state.store.as_ref(), state.now_ms(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
