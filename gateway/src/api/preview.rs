//! `POST /v1/messages/preview`: what a message would look like, without sending it.
//!
//! Three forms: a stored location (`location_id`, optional `phone`), inline settings
//! (`company_name`, `location_name`, `template`, `language`, optional `phone`), or raw
//! `text`, which is only segmented (GSM 03.38 / UCS-2 as carriers count it).

use crate::error::{ApiError, ErrorCode};
use crate::flows::prepare::parse_phone;
use crate::http::json::JsonBody;
use crate::render::{RenderRequest, TemplateKind, segment};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// The body of `POST /v1/messages/preview`: one of the three forms.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    /// Form 1: a stored location.
    #[serde(default)]
    pub location_id: Option<String>,
    /// Forms 1 and 2: the recipient, to pick the operator rule (default rule without).
    #[serde(default)]
    pub phone: Option<String>,
    /// Form 2: company name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// Form 2: location name (required in that form).
    #[serde(default)]
    pub location_name: Option<String>,
    /// Form 2: `code_only` or `code_with_title`.
    #[serde(default)]
    pub template: Option<String>,
    /// Form 2: language; default `en`.
    #[serde(default)]
    pub language: Option<String>,
    /// Form 2: country for national-format phones.
    #[serde(default)]
    pub country: Option<String>,
    /// Forms 1 and 2: a sample code; default: as many digits as generated codes have.
    #[serde(default)]
    pub code: Option<String>,
    /// Form 3: any text, only segmented.
    #[serde(default)]
    pub text: Option<String>,
}

fn template_of(s: Option<&str>) -> Result<TemplateKind, ApiError> {
    match s.map(str::trim) {
        None | Some("code_only") => Ok(TemplateKind::CodeOnly),
        Some("code_with_title") => Ok(TemplateKind::CodeWithTitle),
        Some(_) => Err(ApiError::new(
            ErrorCode::CustomTemplateNotAvailable,
            "Only `code_only` and `code_with_title` exist.",
        )
        .with("field", "template")),
    }
}

/// Renders or segments without sending.
#[utoipa::path(post, path = "/v1/messages/preview", tag = "messages", request_body = PreviewInput,
    responses((status = 200, description = "`{text, encoding, segments, units, max_units, fits_single_segment, operator, rules_applied, title_used, title_shortened}`"),
        (status = 422, description = "`message_too_long`, `validation_failed`")),
    security(("bearer" = [])))]
pub async fn preview(
    state: web::Data<AppState>,
    body: JsonBody<PreviewInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    if let Some(text) = input.text {
        if input.location_id.is_some()
            || input.location_name.is_some()
            || input.company_name.is_some()
        {
            return Err(ApiError::invalid_field(
                "text",
                "Send either `text`, or `location_id`, or inline settings, not several.",
            ));
        }
        let info = segment(&text);
        let single = info.encoding.single_limit();
        return Ok(HttpResponse::Ok().json(json!({
            "text": text,
            "encoding": info.encoding,
            "segments": info.segments,
            "units": info.units,
            "max_units": single,
            "fits_single_segment": info.segments <= 1,
            "ucs2_chars": info.ucs2_chars.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            "operator": null,
            "rules_applied": [],
            "title_used": null,
            "title_shortened": false,
        })));
    }
    let (company, location_name, template, language, country) = if let Some(id) = &input.location_id
    {
        if input.location_name.is_some() || input.company_name.is_some() || input.template.is_some()
        {
            return Err(ApiError::invalid_field(
                "location_id",
                "Send either `location_id` or inline settings, not both.",
            ));
        }
        let loc = state.location(id).await?;
        (
            loc.company_name,
            loc.location_name,
            loc.phone_confirmation.template,
            loc.language,
            loc.country,
        )
    } else {
        let Some(name) = input.location_name.filter(|n| !n.trim().is_empty()) else {
            return Err(ApiError::invalid_field(
                "location_name",
                "Send `text`, or `location_id`, or inline settings with at least `location_name`.",
            ));
        };
        let language = input.language.unwrap_or_else(|| "en".into());
        (
            input.company_name,
            name,
            template_of(input.template.as_deref())?,
            language,
            input.country,
        )
    };
    let phone = match &input.phone {
        Some(p) => Some(parse_phone(p, country.as_deref())?),
        None => None,
    };
    let code = input
        .code
        .unwrap_or_else(|| "0".repeat(usize::from(state.config.verification.code_length)));
    crate::api::messages::check_code(&code)?;
    let rendered = state
        .renderer
        .render(&RenderRequest {
            language: &language,
            template,
            company_name: company.as_deref(),
            location_name: &location_name,
            code: &code,
            phone_e164: phone.as_ref().map(|p| p.e164.as_str()).unwrap_or(""),
        })
        .map_err(crate::flows::prepare::render_error)?;
    Ok(HttpResponse::Ok().json(json!({
        "text": rendered.masked_text,
        "encoding": rendered.encoding,
        "segments": rendered.segments,
        "units": rendered.units,
        "max_units": rendered.max_units,
        "fits_single_segment": rendered.fits_single_segment,
        "operator": rendered.operator,
        "rules_applied": rendered.rules_applied,
        "template": rendered.template,
        "title_used": rendered.title_used,
        "title_shortened": rendered.title_shortened,
    })))
}
