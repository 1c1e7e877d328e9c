//! `GET /v1/locations/{location_id}/readiness`: can this location send codes now, and
//! if not, why — the answer a settings screen shows next to "connect a provider".

use crate::error::ApiError;
use crate::flows::channels::{self, LastOutcome, is_connection};
use crate::locations::{Location, check_location_id, not_found};
use crate::state::AppState;
use crate::store::{Ns, get_json};
use actix_web::{HttpResponse, web};
use gateway_sdk::Health;
use serde::Serialize;
use utoipa::ToSchema;

/// One channel of the location.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelReadiness {
    /// The name in `channels` (instance name or connection id).
    pub channel: String,
    /// `configured` (`[[adapters]]`) or `connection`.
    pub source: &'static str,
    /// The adapter kind, when the channel resolves.
    pub kind: Option<String>,
    /// Whether the gateway can use it at all (it exists and its settings work).
    pub usable: bool,
    /// Its health now, as its adapter reports it.
    #[schema(value_type = Option<Object>)]
    pub health: Option<Health>,
    /// Why it is unusable, if it is.
    pub error: Option<String>,
    /// The last send attempt on it through this gateway instance, if any.
    pub last_attempt: Option<LastOutcome>,
}

/// Why a location cannot send.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reason {
    /// `notification_disabled`, `no_channel`, `no_healthy_channel`.
    pub code: &'static str,
    /// What to do.
    pub detail: String,
}

/// The answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// The location.
    pub location_id: String,
    /// Whether a code sent now would find a usable, healthy channel.
    pub ready: bool,
    /// Why not (empty when ready).
    pub reasons: Vec<Reason>,
    /// `phone_confirmation.enabled`.
    pub notification_enabled: bool,
    /// Whether the channels are the gateway's default route (the location lists none).
    pub default_route: bool,
    /// Each channel in routing order.
    pub channels: Vec<ChannelReadiness>,
}

/// Reports whether the location can send codes now.
#[utoipa::path(get, path = "/v1/locations/{location_id}/readiness", tag = "locations",
    params(("location_id" = String, Path, description = "The platform's location id")),
    responses((status = 200, body = Readiness), (status = 404, description = "`location_not_found`")),
    security(("bearer" = [])))]
pub async fn readiness(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    check_location_id(&id)?;
    // Read from the store, not the send path's cache: a settings screen asks right after
    // a change, possibly through another gateway instance.
    let location = get_json::<Location>(state.store.as_ref(), Ns::Location, &id, state.now_ms())
        .await?
        .ok_or_else(|| not_found(&id))?;
    let default_route = location.channels.is_none();
    let names = location
        .channels
        .clone()
        .unwrap_or_else(|| state.config.routing.default_channels.clone());
    let mut list = Vec::with_capacity(names.len());
    for name in names {
        let source = if state.adapters.get(&name).is_none() && is_connection(&name) {
            "connection"
        } else {
            "configured"
        };
        let mut ch = ChannelReadiness {
            last_attempt: state.channel_board.last(&name),
            channel: name,
            source,
            kind: None,
            usable: false,
            health: None,
            error: None,
        };
        match channels::resolve(&state, &ch.channel).await {
            Ok(Some(instance)) => {
                ch.kind = Some(instance.kind().to_owned());
                ch.usable = true;
                ch.health = Some(instance.health().await);
            }
            Ok(None) => {
                ch.error = Some(format!(
                    "no adapter instance or connection is named `{}`",
                    ch.channel
                ))
            }
            Err(e) => ch.error = Some(e.to_string()),
        }
        list.push(ch);
    }
    let mut reasons = Vec::new();
    let enabled = location.phone_confirmation.enabled;
    if !enabled {
        reasons.push(Reason {
            code: "notification_disabled",
            detail: "The client phone number confirmation notification is off; enable `phone_confirmation.enabled`.".into(),
        });
    }
    if list.iter().all(|c| !c.usable) {
        reasons.push(Reason {
            code: "no_channel",
            detail: "No usable provider is connected: connect an SMS provider or a chatbot (POST /v1/connections) and list it in the location's `channels`.".into(),
        });
    } else if !list.iter().any(|c| c.health.as_ref().is_some_and(|h| h.up)) {
        reasons.push(Reason {
            code: "no_healthy_channel",
            detail: "Every connected provider reports itself down; see each channel's health."
                .into(),
        });
    }
    Ok(HttpResponse::Ok().json(Readiness {
        location_id: id,
        ready: reasons.is_empty(),
        reasons,
        notification_enabled: enabled,
        default_route,
        channels: list,
    }))
}
