//! `/v1/verifications` and `/v1/tokens/introspect`: thin HTTP over `flows::verifications`
//! and `flows::tokens`.

use crate::error::{ApiError, ErrorCode};
use crate::flows::tokens;
use crate::flows::{Purpose, verifications};
use crate::http::idempotency;
use crate::http::json::JsonBody;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::net::IpAddr;
use utoipa::ToSchema;

/// The body of `POST /v1/verifications`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInput {
    /// Location id.
    pub location_id: String,
    /// Client phone.
    pub phone: String,
    /// `login` or `booking`.
    pub purpose: Purpose,
    /// End client's IP (for rate limits).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub client_ip: Option<IpAddr>,
}

/// The body of `POST /v1/verifications/{id}/check`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    /// The code the client typed.
    pub code: String,
}

/// The body of `POST /v1/verifications/check`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBySubjectInput {
    /// Location id.
    pub location_id: String,
    /// Client phone.
    pub phone: String,
    /// `login` or `booking`.
    pub purpose: Purpose,
    /// The code the client typed.
    pub code: String,
}

/// The body of `POST /v1/tokens/introspect`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntrospectInput {
    /// The token from an approved check.
    pub token: String,
    /// Consume it (one confirmation, one appointment); a consumed token is inactive.
    #[serde(default)]
    pub consume: bool,
    /// If given, the token must be for this purpose.
    #[serde(default)]
    pub purpose: Option<Purpose>,
    /// If given, the token must be for this location.
    #[serde(default)]
    pub location_id: Option<String>,
}

/// A typed code: checked for shape before it reaches the hash, so garbage is a 422
/// rather than a used-up attempt.
fn check_shape(code: &str) -> Result<(), ApiError> {
    if code.is_empty() || code.len() > 10 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_field(
            "code",
            "`code` is the 4 to 10 digits the client received.",
        ));
    }
    Ok(())
}

/// Starts (or re-sends) a verification.
#[utoipa::path(post, path = "/v1/verifications", tag = "verifications", request_body = StartInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, description = "Started; code sent"), (status = 200, description = "Pending one re-sent with the same code"),
        (status = 429, description = "A rate limit (`resend_cooldown`, `max_send_attempts`, …)")),
    security(("bearer" = [])))]
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<StartInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    idempotency::run(
        &state,
        &req,
        "POST /v1/verifications",
        &body.raw,
        || async {
            let (created, view) = verifications::start(
                &state,
                &input.location_id,
                &input.phone,
                input.purpose,
                input.client_ip,
            )
            .await?;
            Ok((
                if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                view,
            ))
        },
    )
    .await
}

/// Reads a verification (never the code).
#[utoipa::path(get, path = "/v1/verifications/{id}", tag = "verifications",
    params(("id" = String, Path, description = "`ver_…`")),
    responses((status = 200, description = "The verification"), (status = 404, description = "`verification_not_found`")),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let v = verifications::load(&state, &id).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::VerificationNotFound,
            format!("No verification `{id}` is known."),
        )
    })?;
    Ok(HttpResponse::Ok().json(verifications::view(&state, &v, None)))
}

/// Cancels a pending verification.
#[utoipa::path(delete, path = "/v1/verifications/{id}", tag = "verifications",
    params(("id" = String, Path, description = "`ver_…`")),
    responses((status = 204, description = "Cancelled"), (status = 404, description = "`verification_not_found`")),
    security(("bearer" = [])))]
pub async fn cancel(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    verifications::cancel(&state, &path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Checks a code by verification id.
#[utoipa::path(post, path = "/v1/verifications/{id}/check", tag = "verifications", request_body = CheckInput,
    params(("id" = String, Path, description = "`ver_…`")),
    responses((status = 200, description = "`approved` with a token, or `pending` with attempts_left"),
        (status = 404, description = "`verification_not_found`"), (status = 410, description = "`verification_expired`"),
        (status = 429, description = "`max_check_attempts`")),
    security(("bearer" = [])))]
pub async fn check(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<CheckInput>,
) -> Result<HttpResponse, ApiError> {
    check_shape(&body.value.code)?;
    Ok(HttpResponse::Ok()
        .json(verifications::check(&state, &path.into_inner(), &body.value.code).await?))
}

/// Checks a code by location, phone and purpose.
#[utoipa::path(post, path = "/v1/verifications/check", tag = "verifications", request_body = CheckBySubjectInput,
    responses((status = 200, description = "`approved` with a token, or `pending` with attempts_left"),
        (status = 404, description = "`verification_not_found`"), (status = 410, description = "`verification_expired`"),
        (status = 429, description = "`max_check_attempts`")),
    security(("bearer" = [])))]
pub async fn check_by_subject(
    state: web::Data<AppState>,
    body: JsonBody<CheckBySubjectInput>,
) -> Result<HttpResponse, ApiError> {
    let b = body.value;
    check_shape(&b.code)?;
    Ok(HttpResponse::Ok().json(
        verifications::check_by_subject(&state, &b.location_id, &b.phone, b.purpose, &b.code)
            .await?,
    ))
}

/// Tells a service whether a confirmation token is valid, optionally consuming it.
#[utoipa::path(post, path = "/v1/tokens/introspect", tag = "verifications", request_body = IntrospectInput,
    responses((status = 200, description = "`{active: true, location_id, phone, purpose, confirmed_at, expires_at}` or `{active: false, reason}`"),
        (status = 409, description = "`token_consumed` (consume requested on a consumed token)"),
        (status = 422, description = "`token_purpose_mismatch`, `token_location_mismatch`")),
    security(("bearer" = [])))]
pub async fn introspect(
    state: web::Data<AppState>,
    body: JsonBody<IntrospectInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let answer = tokens::introspect(
        &state,
        tokens::Introspect {
            token: &input.token,
            consume: input.consume,
            purpose: input.purpose,
            location_id: input.location_id.as_deref(),
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}
