//! The served OpenAPI document, generated from the handlers and types with `utoipa`
//! so it cannot drift from the code, then completed from the operations table
//! (`operations`: ids, success bodies, error statuses) and the shared parts
//! (`contract`: the `Problem` schema, problem+json bodies, `Retry-After`, transport
//! statuses) and request examples (`examples`). The suite checks it with openapi-spec-validator and runs schemathesis
//! against the real process.

pub mod bodies;
mod constraints;
mod contract;
mod examples;
mod operations;

use serde_json::Value;
use std::sync::LazyLock;
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
        crate::api::messages::create,
        crate::api::messages::get,
        crate::api::preview::preview,
        crate::api::verifications::start,
        crate::api::verifications::get,
        crate::api::verifications::cancel,
        crate::api::verifications::check,
        crate::api::verifications::check_by_subject,
        crate::api::verifications::introspect,
        crate::api::callbacks::receive,
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
        crate::locations::LocationInput,
        crate::locations::Location,
        crate::api::messages::MessageInput,
        crate::flows::record::MessageRecord,
        crate::api::verifications::StartInput,
        crate::api::verifications::CheckInput,
        crate::api::verifications::CheckBySubjectInput,
        crate::api::verifications::IntrospectInput,
        crate::api::preview::PreviewInput,
        bodies::Health,
        bodies::Ready,
        bodies::VerificationView,
        bodies::CheckResult,
        bodies::Introspection,
        bodies::PreviewResult,
        bodies::AdapterList,
        bodies::CallbackReceipt,
        bodies::ConnectionList,
        bodies::ConnectionTest,
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The document served at `/openapi.json`, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
        let mut doc =
            serde_json::to_value(ApiDoc::openapi()).expect("the generated document is JSON");
        operations::add_unannotated(&mut doc);
        operations::apply(&mut doc);
        constraints::constrain(&mut doc);
        examples::apply(&mut doc);
        contract::complete(&mut doc, crate::error::ErrorCode::ALL);
        doc
    });
    &DOCUMENT
}

/// The methods `path` (a route pattern such as `/v1/verifications/{id}`) takes, for
/// the `Allow` header of a `405`.
pub fn allowed_methods(path: &str) -> Vec<String> {
    document()["paths"][path]
        .as_object()
        .map(|item| {
            item.keys()
                .filter(|k| contract::is_method(k))
                .map(|k| k.to_ascii_uppercase())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn statuses_and_outcomes_of_a_message_are_enums_in_the_document() {
        let doc = super::document();
        let schemas = &doc["components"]["schemas"];
        let values = |name: &str| -> Vec<String> {
            let list = schemas[name]["enum"].as_array();
            let list = list.unwrap_or_else(|| panic!("{name} is not an enum: {}", schemas[name]));
            list.iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            values("MessageStatus"),
            [
                "queued",
                "sent",
                "delivered",
                "read",
                "failed",
                "undelivered",
                "expired"
            ]
        );
        assert!(values("AttemptOutcome").contains(&"sent".to_owned()));
        let refers = |schema: &str, field: &str, to: &str| {
            let property = &schemas[schema]["properties"][field];
            assert_eq!(
                property["$ref"],
                format!("#/components/schemas/{to}"),
                "{schema}.{field}: {property}"
            );
        };
        refers("MessageRecord", "status", "MessageStatus");
        refers("HistoryEntry", "status", "MessageStatus");
        refers("Attempt", "outcome", "AttemptOutcome");
    }
}
