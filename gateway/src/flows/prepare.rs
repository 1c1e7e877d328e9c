//! The first half of the path every code takes: decide everything without side
//! effects (location, phone, geo and operator rules, rendering, candidate channels).
//! `send::dispatch` then spends quota, routes and records.

use super::Purpose;
use super::channels;
use crate::adapters::AdapterInstance;
use crate::clock::rfc3339;
use crate::error::{ApiError, ErrorCode};
use crate::locations::Location;
use crate::phone::{self, Phone};
use crate::render::{RenderError, RenderRequest, Rendered};
use crate::state::AppState;
use std::sync::Arc;

/// Everything decided before anything is spent.
pub struct Prepared {
    /// The location's settings.
    pub location: Location,
    /// The validated recipient.
    pub phone: Phone,
    /// The rendered, fitted text (with the code).
    pub rendered: Rendered,
    /// Channels to try, in order, already filtered by the operator rule.
    pub channels: Vec<Arc<dyn AdapterInstance>>,
}

/// What a caller asks to send.
pub struct SendInput<'a> {
    /// Location id.
    pub location_id: &'a str,
    /// Phone as the caller gave it.
    pub phone: &'a str,
    /// The code to deliver.
    pub code: &'a str,
    /// What the code is for.
    pub purpose: Purpose,
}

/// Validates and renders a send without side effects.
pub async fn prepare(state: &AppState, input: &SendInput<'_>) -> Result<Prepared, ApiError> {
    let (location, phone) = resolve(state, input.location_id, input.phone, input.purpose).await?;
    prepare_resolved(state, location, phone, input.code).await
}

/// Loads the location, parses the phone in its country and checks the location sends
/// codes for this purpose.
pub async fn resolve(
    state: &AppState,
    location_id: &str,
    phone: &str,
    purpose: Purpose,
) -> Result<(Location, Phone), ApiError> {
    let location = state.location(location_id).await?;
    let country = location.country.as_deref();
    let phone = parse_phone(phone, country).map_err(|invalid| {
        // An operator rule that blocks a prefix wins over "not a valid mobile number":
        // the blocked ranges (satellite, international networks) are mostly numbers
        // the plan calls VoIP or invalid, and the block is what the operator set up.
        match crate::phone::e164_of(phone, country).map(|e| state.renderer.operator_for(&e)) {
            Some(op) if op.blocked => {
                state.reject(crate::limits::LimitRejection::operator_blocked(&op.id))
            }
            _ => invalid,
        }
    })?;
    if !location.phone_confirmation.enabled {
        return Err(ApiError::new(
            ErrorCode::NotificationDisabled,
            format!(
                "Location `{}` has switched off the client phone number confirmation notification; \
                 enable `phone_confirmation.enabled` in its settings to send codes.",
                location.location_id
            ),
        ));
    }
    if purpose == Purpose::Booking && !location.online_booking.require_phone_confirmation {
        return Err(ApiError::new(
            ErrorCode::ConfirmationNotRequired,
            format!(
                "Location `{}` does not ask clients to confirm their phone when booking \
                 (`online_booking.require_phone_confirmation` is false); create the appointment without a code.",
                location.location_id
            ),
        ));
    }
    Ok((location, phone))
}

/// Applies geo and operator rules, renders and picks channels for a resolved send.
pub async fn prepare_resolved(
    state: &AppState,
    location: Location,
    phone: Phone,
    code: &str,
) -> Result<Prepared, ApiError> {
    state
        .limits
        .check_geo(phone.region.as_deref())
        .map_err(|r| state.reject(r))?;
    let operator = state.renderer.operator_for(&phone.e164);
    if operator.blocked {
        return Err(
            state.reject(crate::limits::LimitRejection::operator_blocked(
                &operator.id,
            )),
        );
    }
    let rendered = state
        .renderer
        .render(&RenderRequest {
            language: &location.language,
            template: location.phone_confirmation.template,
            company_name: location.company_name.as_deref(),
            location_name: &location.location_name,
            code,
            phone_e164: &phone.e164,
        })
        .map_err(render_error)?;
    let channels = candidate_channels(state, &location, operator.adapters.as_deref()).await;
    if channels.is_empty() {
        return Err(ApiError::new(
            ErrorCode::NoProvider,
            format!(
                "Location `{}` has no active integration that can send confirmation codes to this number. \
                 Connect an SMS provider or a chatbot (Telegram, WhatsApp) and list it in the location's `channels`.",
                location.location_id
            ),
        ));
    }
    Ok(Prepared {
        location,
        phone,
        rendered,
        channels,
    })
}

/// Parses a phone into E.164 or answers `400 invalid_phone`.
pub fn parse_phone(input: &str, region: Option<&str>) -> Result<Phone, ApiError> {
    phone::parse(input, region).map_err(|e| {
        ApiError::new(ErrorCode::InvalidPhone, format!("{e}. Send a mobile number in E.164 (`+79991234567`), or in national form with the location's `country` set."),
        )
        .with("field", "phone")
    })
}

/// The problem for a text that cannot be rendered or fitted.
pub fn render_error(e: RenderError) -> ApiError {
    match e {
        RenderError::TooLong { units, max_units, encoding, .. } => ApiError::new(ErrorCode::MessageTooLong, format!(
                "The text needs {units} units of {encoding:?} but one SMS to this operator holds {max_units}, \
                 even after shortening the title; use a shorter code or the code-only template."
            ),
        )
        .with("units", units)
        .with("max_units", max_units),
        other => ApiError::new(ErrorCode::RenderFailed, format!("{other}; check the location's language and the operator rules."),
        ),
    }
}

/// The location's channels (or the default route), known and allowed by the operator
/// rule (which names configured instances, connection ids, or `connection:<kind>`).
/// A connection that cannot be used now is skipped and logged; readiness reports it.
async fn candidate_channels(
    state: &AppState,
    location: &Location,
    allowed: Option<&[String]>,
) -> Vec<Arc<dyn AdapterInstance>> {
    let names = location
        .channels
        .as_ref()
        .unwrap_or(&state.config.routing.default_channels);
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let instance = match channels::resolve(state, name).await {
            Ok(Some(instance)) => instance,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(channel = %name, error = %e, "channel skipped: connection unusable");
                state.channel_board.note(
                    name,
                    "unusable",
                    Some(e.to_string()),
                    rfc3339(state.clock.now()),
                );
                continue;
            }
        };
        let permitted = allowed.is_none_or(|a| {
            a.iter()
                .any(|x| x == instance.name() || x == instance.metric_label())
        });
        if permitted {
            out.push(instance);
        }
    }
    out
}
