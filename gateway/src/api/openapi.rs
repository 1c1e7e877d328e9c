//! The served OpenAPI document, generated from the handlers and types with `utoipa`
//! so it cannot drift from the code.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Adds the bearer API-key scheme.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API key"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Confirmation-code gateway", description = "Sends confirmation codes through loadable provider adapters. Errors are RFC 9457 problem+json with a stable `code`."),
    paths(
        crate::api::system::healthz,
        crate::api::system::readyz,
        crate::api::locations::put,
        crate::api::locations::get,
        crate::api::locations::delete,
        crate::flows::messages::create,
        crate::flows::messages::get,
        crate::api::preview::preview,
        crate::api::verifications::start,
        crate::api::verifications::get,
        crate::api::verifications::cancel,
        crate::api::verifications::check,
        crate::api::verifications::check_by_subject,
        crate::api::verifications::introspect,
        crate::flows::callbacks::receive,
        crate::api::adapters::list,
        crate::api::connections::create,
        crate::api::connections::list,
        crate::api::connections::get,
        crate::api::connections::patch,
        crate::api::connections::delete,
        crate::api::connections::test,
        crate::api::readiness::readiness,
    ),
    components(schemas(
        crate::connections::NewConnection,
        crate::connections::ConnectionPatch,
        crate::api::connections::ConnectionView,
        crate::api::readiness::Readiness,
        crate::api::readiness::ChannelReadiness,
        crate::api::readiness::Reason,
        crate::flows::channels::LastOutcome,
        crate::api::locations::LocationInput,
        crate::api::locations::Location,
        crate::flows::messages::MessageInput,
        crate::flows::record::MessageRecord,
        crate::api::verifications::StartInput,
        crate::api::verifications::CheckInput,
        crate::api::verifications::CheckBySubjectInput,
        crate::api::verifications::IntrospectInput,
        crate::api::preview::PreviewInput,
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
