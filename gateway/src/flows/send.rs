//! The path every code takes, split in two: [`prepare`] decides everything without side
//! effects (location, phone, operator, rendering, candidate channels), [`dispatch`]
//! spends quota, routes through the channels and records the message. A request refused
//! in `prepare` or by the limits calls no provider and uses up no quota.

use super::Purpose;
use super::channels;
use super::record::{HistoryEntry, MessageRecord, new_id};
use super::route::{self, Routed};
use crate::adapters::AdapterInstance;
use crate::clock::rfc3339;
use crate::error::{ApiError, ErrorCode};
use crate::limits::SendSubject;
use crate::locations::Location;
use crate::phone::{self, Phone};
use crate::render::{RenderError, RenderRequest, Rendered};
use crate::state::AppState;
use crate::store::{Ns, PutItem, to_json};
use std::net::IpAddr;
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

/// What `dispatch` needs besides the prepared send.
pub struct DispatchInput<'a> {
    /// The code to deliver.
    pub code: &'a str,
    /// What it is for.
    pub purpose: Purpose,
    /// End client's address, for the IP quota.
    pub client_ip: Option<IpAddr>,
    /// The verification it belongs to.
    pub verification_id: Option<&'a str>,
    /// How long the code stays valid (providers' validity period).
    pub code_ttl_secs: u64,
    /// Stable id of this logical send, handed to providers.
    pub idempotency_key: String,
}

/// Spends quota, routes, records; returns the stored record.
pub async fn dispatch(
    state: &AppState,
    prepared: &Prepared,
    input: &DispatchInput<'_>,
) -> Result<MessageRecord, ApiError> {
    dispatch_with(state, prepared, input, |_| Vec::new()).await
}

/// [`dispatch`], also storing what `also` derives from the sent message in the same
/// write as the message record (a verification's state after its send): one store
/// round trip less, and no moment where one is stored without the other.
pub async fn dispatch_with(
    state: &AppState,
    prepared: &Prepared,
    input: &DispatchInput<'_>,
    also: impl FnOnce(&MessageRecord) -> Vec<PutItem>,
) -> Result<MessageRecord, ApiError> {
    let subject = SendSubject {
        phone_e164: &prepared.phone.e164,
        region: prepared.phone.region.as_deref(),
        client_ip: input.client_ip,
        location_id: &prepared.location.location_id,
    };
    if let Err(rejection) = state
        .limits
        .admit_send(state.store.as_ref(), &subject, state.now_ms())
        .await?
    {
        return Err(state.reject(rejection));
    }
    let message_id = new_id("msg");
    let routed = route::route(state, prepared, &message_id, input).await;
    let Routed { accepted, attempts } = routed;
    let Some((adapter, result)) = accepted else {
        return Err(route::failure(&attempts));
    };
    let now = state.clock.now();
    let rendered = &prepared.rendered;
    let channel = route::channel_of(adapter.as_ref());
    let record = MessageRecord {
        id: message_id,
        status: result.status.as_str().to_owned(),
        adapter: adapter.name().to_owned(),
        channel: channel.as_str().to_owned(),
        operator: rendered.operator.clone(),
        provider_message_id: result.provider_message_id.clone(),
        text: rendered.masked_text.clone(),
        encoding: rendered.encoding.as_str().to_owned(),
        segments: rendered.segments,
        units: rendered.units,
        rules_applied: rendered.rules_applied.clone(),
        location_id: prepared.location.location_id.clone(),
        phone: phone::mask(&prepared.phone.e164),
        purpose: input.purpose,
        verification_id: input.verification_id.map(str::to_owned),
        attempts,
        history: vec![HistoryEntry {
            status: result.status.as_str().to_owned(),
            at: rfc3339(now),
            adapter: adapter.name().to_owned(),
            detail: None,
        }],
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
    };
    let expires = Some(state.now_ms() + state.config.store.message_retention.as_millis() as i64);
    let now_ms = state.now_ms();
    // The record and the provider reference go in one write: one commit instead of two,
    // and a delivery report never finds a reference without its record.
    let pref = provider_ref(adapter.name(), &result.provider_message_id);
    let mut items = vec![
        PutItem {
            ns: Ns::Message,
            key: record.id.clone(),
            value: to_json(&record),
            expires_at: expires,
        },
        PutItem {
            ns: Ns::ProviderRef,
            key: pref,
            value: record.id.clone(),
            expires_at: expires,
        },
    ];
    items.extend(also(&record));
    state.store.put_all(items, now_ms).await?;
    super::observe::sent(&state.metrics, &record, &prepared.rendered, channel);
    tracing::info!(
        message_id = %record.id,
        adapter = %record.adapter,
        operator = %record.operator,
        phone = %record.phone,
        attempts = record.attempts.len(),
        "code sent"
    );
    Ok(record)
}

/// The key under which a provider's message id points at our message.
pub fn provider_ref(adapter: &str, provider_message_id: &str) -> String {
    format!("{adapter}:{provider_message_id}")
}
