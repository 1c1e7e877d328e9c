//! `PUT/GET/DELETE /v1/locations/{location_id}`: the settings a location edits.
//!
//! Input is validated field by field; every refusal is a 422 that names the field and
//! says what is allowed. What is stored is the normalised form (trimmed names, an
//! empty company name as `null`, defaults filled in), so readers never re-validate.

pub mod cache;

pub use cache::LocationCache;

use crate::error::ApiError;
use crate::flows::channels::is_connection;
use crate::http::json::JsonBody;
use crate::render::TemplateKind;
use crate::state::AppState;
use crate::store::{Ns, get_json, to_json};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::ToSchema;

/// Longest accepted company or location name, in characters.
const MAX_NAME_CHARS: usize = 200;

/// The body of `PUT /v1/locations/{location_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// Company name from the location settings; null or blank means "not specified",
    /// and the location name is used as `%SALON_TITLE%`.
    #[serde(default)]
    pub company_name: Option<String>,
    /// The location's name (required).
    pub location_name: String,
    /// ISO 3166-1 alpha-2 country; the default region for phones in national format.
    #[serde(default)]
    pub country: Option<String>,
    /// Template language (`en`, `ru`, or one from configuration); default `en`.
    #[serde(default)]
    pub language: Option<String>,
    /// The "client phone number confirmation" notification.
    #[serde(default, deserialize_with = "crate::http::json::object_or_null")]
    pub phone_confirmation: Option<PhoneConfirmationInput>,
    /// Online-booking options.
    #[serde(default, deserialize_with = "crate::http::json::object_or_null")]
    pub online_booking: Option<OnlineBookingInput>,
    /// Adapter instances this location has connected, in the order to try; omitted:
    /// the gateway's default route.
    #[serde(default)]
    pub channels: Option<Vec<String>>,
}

/// `phone_confirmation` in a location.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneConfirmationInput {
    /// Whether codes are sent at all; default true.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `code_only` (default) or `code_with_title`; custom templates are not available.
    #[serde(default)]
    pub template: Option<String>,
}

/// `online_booking` in a location.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlineBookingInput {
    /// "Request your clients to confirm their phone number with an SMS code".
    #[serde(default)]
    pub require_phone_confirmation: Option<bool>,
}

/// A stored location, as `GET` returns it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Location {
    /// The id in the path.
    pub location_id: String,
    /// Company name, or null when not specified.
    pub company_name: Option<String>,
    /// Location name.
    pub location_name: String,
    /// ISO country code, if set.
    pub country: Option<String>,
    /// Template language.
    pub language: String,
    /// The confirmation notification.
    pub phone_confirmation: PhoneConfirmation,
    /// Online-booking options.
    pub online_booking: OnlineBooking,
    /// Connected adapter instances in order; null: the gateway's default route.
    pub channels: Option<Vec<String>>,
    /// When it was first stored (RFC 3339).
    pub created_at: String,
    /// When it was last replaced (RFC 3339).
    pub updated_at: String,
}

/// Stored `phone_confirmation`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PhoneConfirmation {
    /// Whether codes are sent.
    pub enabled: bool,
    /// Which standard template.
    #[schema(value_type = String, example = "code_only")]
    pub template: TemplateKind,
}

/// Stored `online_booking`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OnlineBooking {
    /// Whether booking requires a confirmed phone.
    pub require_phone_confirmation: bool,
}

/// Checks a path id: 1 to 64 of letters, digits, `-`, `_`, `.`, and not `.` or `..`
/// (path segments that clients and proxies resolve away, so the id could not be
/// addressed again).
pub fn check_location_id(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id != "."
        && id != ".."
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_location_id",
            "Invalid location id",
            "A location id is 1 to 64 characters of letters, digits, `-`, `_` and `.`, and not `.` or `..`.",
        )
        .with("field", "location_id"))
    }
}

fn check_name(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid_field(
            field,
            format!("`{field}` must be at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            field,
            format!("`{field}` must not contain control characters."),
        ));
    }
    Ok(())
}

/// Validates and normalises input into a stored location.
pub fn validate(
    state: &AppState,
    id: &str,
    input: LocationInput,
    now: &str,
    created_at: Option<String>,
) -> Result<Location, ApiError> {
    let company_name = input
        .company_name
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(name) = &company_name {
        check_name("company_name", name)?;
    }
    let location_name = input.location_name.trim().to_owned();
    if location_name.is_empty() {
        return Err(ApiError::invalid_field(
            "location_name",
            "`location_name` is required and must not be blank.",
        ));
    }
    check_name("location_name", &location_name)?;
    let country = match input
        .country
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) if c.len() == 2 && phonenumber::country::Id::from_str(&c).is_ok() => Some(c),
        Some(c) => {
            return Err(ApiError::invalid_field(
                "country",
                format!(
                    "`{c}` is not an ISO 3166-1 alpha-2 country code with a numbering plan (e.g. `RU`, `GB`)."
                ),
            ));
        }
    };
    let language = input
        .language
        .map(|l| l.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "en".into());
    if !state.renderer.languages().any(|l| l == language) {
        let known: Vec<&str> = state.renderer.languages().collect();
        return Err(ApiError::invalid_field(
            "language",
            format!(
                "Language `{language}` has no templates; use one of: {}.",
                known.join(", ")
            ),
        ));
    }
    let pc = input.phone_confirmation.unwrap_or(PhoneConfirmationInput {
        enabled: None,
        template: None,
    });
    let template = match pc.template.as_deref().map(str::trim) {
        None | Some("code_only") => TemplateKind::CodeOnly,
        Some("code_with_title") => TemplateKind::CodeWithTitle,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "custom_template_not_available",
                "Custom templates are not available",
                "Only the two standard templates exist: `code_only` (\"Confirmation code: %CODE%\") and \
                 `code_with_title` (\"Confirmation code for %SALON_TITLE%: %CODE%\").",
            )
            .with("field", "phone_confirmation.template")
            .with("allowed", serde_json::json!(["code_only", "code_with_title"])));
        }
    };
    if let Some(channels) = &input.channels {
        for (i, name) in channels.iter().enumerate() {
            // Connections are checked against the store by `check_connections`.
            if state.adapters.get(name).is_none() && !is_connection(name) {
                let known: Vec<&str> = state.adapters.iter().map(|a| a.name()).collect();
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_channel",
                    "Unknown channel",
                    format!(
                        "No adapter instance is named `{name}`; connected instances are: {}.",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                )
                .with("field", format!("channels[{i}]")));
            }
            if channels[..i].contains(name) {
                return Err(ApiError::invalid_field(
                    &format!("channels[{i}]"),
                    format!(
                        "`{name}` is listed twice; list each channel once, in the order to try."
                    ),
                ));
            }
        }
    }
    Ok(Location {
        location_id: id.to_owned(),
        company_name,
        location_name,
        country,
        language,
        phone_confirmation: PhoneConfirmation {
            enabled: pc.enabled.unwrap_or(true),
            template,
        },
        online_booking: OnlineBooking {
            require_phone_confirmation: input
                .online_booking
                .and_then(|o| o.require_phone_confirmation)
                .unwrap_or(false),
        },
        channels: input.channels,
        created_at: created_at.unwrap_or_else(|| now.to_owned()),
        updated_at: now.to_owned(),
    })
}

/// Reads a stored location or answers `404 location_not_found`.
/// Read from memory when fresh (see [`cache`]), else from the store.
pub async fn load(state: &AppState, id: &str) -> Result<Location, ApiError> {
    let now = state.now_ms();
    if let Some(location) = state.locations.get(id, now) {
        return Ok(location);
    }
    let ticket = state.locations.ticket();
    let location = get_json::<Location>(state.store.as_ref(), Ns::Location, id, now)
        .await?
        .ok_or_else(|| not_found(id))?;
    state.locations.store(ticket, &location, now);
    Ok(location)
}

/// `404 location_not_found`.
pub fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "location_not_found",
        "Location not found",
        format!("No location `{id}` is stored; create it with PUT /v1/locations/{id}."),
    )
}

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
    let existing =
        get_json::<Location>(state.store.as_ref(), Ns::Location, &id, state.now_ms()).await?;
    let old_channels = existing.as_ref().and_then(|l| l.channels.clone());
    let location = validate(
        &state,
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
    state.locations.invalidate(&id);
    let replaced = state
        .store
        .put(Ns::Location, &id, to_json(&location), None, state.now_ms())
        .await;
    state.locations.invalidate(&id);
    let replaced = replaced?;
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
    Ok(HttpResponse::Ok().json(load(&state, &id).await?))
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
    let existing =
        get_json::<Location>(state.store.as_ref(), Ns::Location, &id, state.now_ms()).await?;
    state.locations.invalidate(&id);
    let deleted = state.store.delete(Ns::Location, &id, state.now_ms()).await;
    state.locations.invalidate(&id);
    let (_, removed) = connection_changes(existing.and_then(|l| l.channels).as_deref(), None);
    forget_users(&state, &id, &removed).await;
    if deleted? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(not_found(&id))
    }
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
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_channel",
                    "Unknown channel",
                    format!("No connection `{name}` exists; create it with POST /v1/connections."),
                )
                .with("field", format!("channels[{i}]")));
            }
            Some(c)
                if c.location_id
                    .as_deref()
                    .is_some_and(|owner| owner != location_id) =>
            {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "connection_not_allowed",
                    "Connection belongs to another location",
                    format!(
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
