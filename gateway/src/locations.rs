//! Locations: the settings a location edits (model and input), their validation, and
//! reading and writing them through the in-memory cache (`cache`).
//!
//! Input is validated field by field; every refusal is a 422 that names the field and
//! says what is allowed. What is stored is the normalised form (trimmed names, an
//! empty company name as `null`, defaults filled in), so readers never re-validate.
//! The HTTP handlers are in `api::locations`; the send path reads through [`load`].

pub mod cache;

pub use cache::LocationCache;

use crate::adapters::Adapters;
use crate::connections::is_connection;
use crate::error::{ApiError, ErrorCode};
use crate::render::{Renderer, TemplateKind};
use crate::store::{Millis, Ns, Store, get_json, to_json};
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
    #[serde(default, deserialize_with = "crate::json_shape::object_or_null")]
    pub phone_confirmation: Option<PhoneConfirmationInput>,
    /// Online-booking options.
    #[serde(default, deserialize_with = "crate::json_shape::object_or_null")]
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
            ErrorCode::InvalidLocationId,
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
    renderer: &Renderer,
    adapters: &Adapters,
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
    if !renderer.languages().any(|l| l == language) {
        let known: Vec<&str> = renderer.languages().collect();
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
            return Err(ApiError::new(ErrorCode::CustomTemplateNotAvailable, "Only the two standard templates exist: `code_only` (\"Confirmation code: %CODE%\") and \
                 `code_with_title` (\"Confirmation code for %SALON_TITLE%: %CODE%\").",
            )
            .with("field", "phone_confirmation.template")
            .with("allowed", serde_json::json!(["code_only", "code_with_title"])));
        }
    };
    if let Some(channels) = &input.channels {
        for (i, name) in channels.iter().enumerate() {
            // Connections are checked against the store by `api::locations`.
            if adapters.get(name).is_none() && !is_connection(name) {
                let known: Vec<&str> = adapters.iter().map(|a| a.name()).collect();
                return Err(ApiError::new(
                    ErrorCode::UnknownChannel,
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
pub async fn load(
    cache: &LocationCache,
    store: &dyn Store,
    now: Millis,
    id: &str,
) -> Result<Location, ApiError> {
    if let Some(location) = cache.get(id, now) {
        return Ok(location);
    }
    let ticket = cache.ticket();
    let location = get_json::<Location>(store, Ns::Location, id, now)
        .await?
        .ok_or_else(|| not_found(id))?;
    cache.store(ticket, &location, now);
    Ok(location)
}

/// The stored location, bypassing the cache (for a replace, which keeps `created_at`).
pub async fn read_stored(
    store: &dyn Store,
    now: Millis,
    id: &str,
) -> Result<Option<Location>, ApiError> {
    Ok(get_json::<Location>(store, Ns::Location, id, now).await?)
}

/// Stores a validated location; returns whether it replaced one. The cache entry is
/// dropped before and after the write, so no reader caches the old value meanwhile.
pub async fn save(
    cache: &LocationCache,
    store: &dyn Store,
    now: Millis,
    location: &Location,
) -> Result<bool, ApiError> {
    let id = &location.location_id;
    cache.invalidate(id);
    let replaced = store
        .put(Ns::Location, id, to_json(location), None, now)
        .await;
    cache.invalidate(id);
    Ok(replaced?)
}

/// Removes a location, or answers `404 location_not_found`; the cache as in [`save`].
pub async fn remove(
    cache: &LocationCache,
    store: &dyn Store,
    now: Millis,
    id: &str,
) -> Result<(), ApiError> {
    cache.invalidate(id);
    let deleted = store.delete(Ns::Location, id, now).await;
    cache.invalidate(id);
    if deleted? { Ok(()) } else { Err(not_found(id)) }
}

/// `404 location_not_found`.
pub fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::LocationNotFound,
        format!("No location `{id}` is stored; create it with PUT /v1/locations/{id}."),
    )
}
