//! What each operation answers, beyond what its handler's annotation says: its
//! operation id (unique, for client generators), the schema of every success body, and
//! every error status it can answer. The completion step (`contract`) then gives every
//! error status the problem+json body and headers.

use serde_json::{Value, json};

/// One operation of the served document.
pub struct Operation {
    /// Lowercase HTTP method.
    pub method: &'static str,
    /// Path template as in the document.
    pub path: &'static str,
    /// Unique operation id.
    pub id: &'static str,
    /// Success statuses with the component schema of their body (`None`: no body).
    pub success: &'static [(u16, Option<&'static str>, &'static str)],
    /// Error statuses this operation answers besides the transport's.
    pub errors: &'static [(u16, &'static str)],
}

const STORE: (u16, &str) = (
    503,
    "`store_unavailable`: the store does not answer; retry.",
);
const SEND_ERRORS: &[(u16, &str)] = &[
    (400, "`invalid_phone`, `invalid_idempotency_key`"),
    (403, "`country_blocked`, `operator_blocked`"),
    (404, "`location_not_found`"),
    (
        409,
        "`notification_disabled`, `confirmation_not_required`, `idempotency_in_progress`",
    ),
    (
        422,
        "`validation_failed`, `message_too_long`, `idempotency_key_reused`",
    ),
    (
        429,
        "A rate limit; `code` names it and `Retry-After` says when to retry.",
    ),
    (
        502,
        "`provider_failed`: every channel failed; `attempts` lists them. Nothing was sent and no limit spent; `Retry-After` unless a provider refused the recipient for good.",
    ),
    (
        503,
        "`no_provider`, `provider_throttled` (every channel at its throughput limit or `max_inflight`), `store_unavailable`",
    ),
    (
        504,
        "`provider_timeout`: no provider answered within its deadline; nothing was sent and no limit spent.",
    ),
];
const CHECK_ERRORS: &[(u16, &str)] = &[
    (404, "`verification_not_found`"),
    (410, "`verification_expired`"),
    (
        422,
        "`validation_failed`: `code` is not digits of the verification's length (no attempt used).",
    ),
    (
        429,
        "`max_check_attempts`: the verification is now `failed`; `retry_after` says when a new one can start.",
    ),
    STORE,
];

/// Every operation the gateway serves.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        path: "/healthz",
        id: "getHealth",
        success: &[(200, Some("Health"), "The process is alive.")],
        errors: &[],
    },
    Operation {
        method: "get",
        path: "/readyz",
        id: "getReadiness",
        success: &[(
            200,
            Some("Ready"),
            "The store answers and an adapter is healthy.",
        )],
        errors: &[(503, "`not_ready`: store down or no healthy adapter.")],
    },
    Operation {
        method: "put",
        path: "/v1/locations/{location_id}",
        id: "putLocation",
        success: &[
            (200, Some("Location"), "Replaced."),
            (201, Some("Location"), "Created."),
        ],
        errors: &[
            (400, "`invalid_location_id`"),
            (
                422,
                "`validation_failed`, `custom_template_not_available`, `unknown_channel`",
            ),
            STORE,
        ],
    },
    Operation {
        method: "get",
        path: "/v1/locations/{location_id}",
        id: "getLocation",
        success: &[(200, Some("Location"), "The location.")],
        errors: &[
            (400, "`invalid_location_id`"),
            (404, "`location_not_found`"),
            STORE,
        ],
    },
    Operation {
        method: "delete",
        path: "/v1/locations/{location_id}",
        id: "deleteLocation",
        success: &[(204, None, "Removed.")],
        errors: &[
            (400, "`invalid_location_id`"),
            (404, "`location_not_found`"),
            STORE,
        ],
    },
    Operation {
        method: "post",
        path: "/v1/messages",
        id: "sendMessage",
        success: &[(201, Some("MessageRecord"), "Accepted by a provider.")],
        errors: SEND_ERRORS,
    },
    Operation {
        method: "get",
        path: "/v1/messages/{id}",
        id: "getMessage",
        success: &[(
            200,
            Some("MessageRecord"),
            "The message and its delivery history.",
        )],
        errors: &[(404, "`message_not_found`"), STORE],
    },
    Operation {
        method: "post",
        path: "/v1/messages/preview",
        id: "previewMessage",
        success: &[(200, Some("PreviewResult"), "How the message would be sent.")],
        errors: &[
            (400, "`invalid_phone`"),
            (404, "`location_not_found`"),
            (
                422,
                "`validation_failed`, `message_too_long`, `custom_template_not_available`",
            ),
            STORE,
        ],
    },
    Operation {
        method: "post",
        path: "/v1/verifications",
        id: "startVerification",
        success: &[
            (201, Some("VerificationView"), "Started; the code was sent."),
            (
                200,
                Some("VerificationView"),
                "A pending one re-sent with the same code.",
            ),
        ],
        errors: SEND_ERRORS,
    },
    Operation {
        method: "get",
        path: "/v1/verifications/{id}",
        id: "getVerification",
        success: &[(
            200,
            Some("VerificationView"),
            "The verification (never its code).",
        )],
        errors: &[(404, "`verification_not_found`"), STORE],
    },
    Operation {
        method: "delete",
        path: "/v1/verifications/{id}",
        id: "cancelVerification",
        success: &[(204, None, "Cancelled.")],
        errors: &[(404, "`verification_not_found`"), STORE],
    },
    Operation {
        method: "post",
        path: "/v1/verifications/{id}/check",
        id: "checkVerification",
        success: &[(
            200,
            Some("CheckResult"),
            "`approved` with a token, or `pending` with the checks left.",
        )],
        errors: CHECK_ERRORS,
    },
    Operation {
        method: "post",
        path: "/v1/verifications/check",
        id: "checkVerificationBySubject",
        success: &[(
            200,
            Some("CheckResult"),
            "`approved` with a token, or `pending` with the checks left.",
        )],
        errors: CHECK_ERRORS,
    },
    Operation {
        method: "post",
        path: "/v1/tokens/introspect",
        id: "introspectToken",
        success: &[(
            200,
            Some("Introspection"),
            "Whether the token proves a confirmation.",
        )],
        errors: &[
            (409, "`token_consumed`"),
            (
                422,
                "`validation_failed`, `token_purpose_mismatch`, `token_location_mismatch`",
            ),
            STORE,
        ],
    },
    Operation {
        method: "post",
        path: "/v1/callbacks/{adapter_instance}",
        id: "receiveCallback",
        success: &[(
            200,
            Some("CallbackReceipt"),
            "Accepted, also for unknown messages.",
        )],
        errors: &[
            (400, "`malformed_callback`"),
            (401, "`invalid_signature`"),
            (404, "`adapter_not_found`, `callbacks_not_supported`"),
            STORE,
        ],
    },
    Operation {
        method: "get",
        path: "/v1/adapters",
        id: "listAdapters",
        success: &[(200, Some("AdapterList"), "Loaded adapter instances.")],
        errors: &[],
    },
    Operation {
        method: "get",
        path: "/v1/locations/{location_id}/readiness",
        id: "getLocationReadiness",
        success: &[(
            200,
            Some("Readiness"),
            "Whether the location can send codes now, and why not.",
        )],
        errors: &[
            (400, "`invalid_location_id`"),
            (404, "`location_not_found`"),
            STORE,
        ],
    },
    Operation {
        method: "post",
        path: "/v1/connections",
        id: "createConnection",
        success: &[(
            201,
            Some("ConnectionView"),
            "Created; secrets are never returned.",
        )],
        errors: &[
            (400, "`invalid_location_id`"),
            (
                422,
                "`validation_failed`, `unknown_adapter_kind`, `invalid_settings`, `connection_not_allowed`",
            ),
            (503, "`secrets_not_configured`, `store_unavailable`"),
        ],
    },
    Operation {
        method: "get",
        path: "/v1/connections",
        id: "listConnections",
        success: &[(
            200,
            Some("ConnectionList"),
            "A location's own, the shared ones, or all.",
        )],
        errors: &[(400, "`bad_request` (query), `invalid_location_id`"), STORE],
    },
    Operation {
        method: "get",
        path: "/v1/connections/{id}",
        id: "getConnection",
        success: &[(200, Some("ConnectionView"), "The connection.")],
        errors: &[(404, "`connection_not_found`"), STORE],
    },
    Operation {
        method: "patch",
        path: "/v1/connections/{id}",
        id: "updateConnection",
        success: &[(200, Some("ConnectionView"), "Changed.")],
        errors: &[
            (404, "`connection_not_found`"),
            (409, "`connection_changed`"),
            (422, "`validation_failed`, `invalid_settings`"),
            (503, "`secrets_not_configured`, `store_unavailable`"),
        ],
    },
    Operation {
        method: "delete",
        path: "/v1/connections/{id}",
        id: "deleteConnection",
        success: &[(204, None, "Removed.")],
        errors: &[
            (400, "`bad_request` (query)"),
            (404, "`connection_not_found`"),
            (409, "`connection_in_use`"),
            STORE,
        ],
    },
    Operation {
        method: "post",
        path: "/v1/connections/{id}/test",
        id: "testConnection",
        success: &[(
            200,
            Some("ConnectionTest"),
            "The provider's answer to a health check.",
        )],
        errors: &[
            (404, "`connection_not_found`"),
            (409, "`connection_unusable`"),
            STORE,
        ],
    },
];

/// Applies the table to `doc`: ids, success bodies and error statuses.
pub fn apply(doc: &mut Value) {
    for op in OPERATIONS {
        let Some(entry) = doc["paths"][op.path].get_mut(op.method) else {
            panic!(
                "the table names {} {}, which no handler documents",
                op.method, op.path
            );
        };
        entry["operationId"] = json!(op.id);
        for (status, schema, description) in op.success {
            let mut response = json!({ "description": description });
            if let Some(name) = schema {
                response["content"] = json!({ "application/json": {
                    "schema": { "$ref": format!("#/components/schemas/{name}") } } });
            }
            entry["responses"][status.to_string()] = response;
        }
        for (status, description) in op.errors {
            entry["responses"][status.to_string()] = json!({ "description": description });
        }
    }
}

/// Routes served without a handler annotation: metrics, the document itself, its
/// rendering, and the callbacks' `GET` (webhook subscription handshakes).
pub fn add_unannotated(doc: &mut Value) {
    let ops = json!({
        "/metrics": { "get": {
            "operationId": "getMetrics", "tags": ["operations"],
            "summary": "Prometheus metrics, text exposition format 0.0.4.",
            "responses": { "200": { "description": "The metrics.",
                "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
        "/openapi.json": { "get": {
            "operationId": "getOpenApi", "tags": ["operations"],
            "summary": "This document.",
            "responses": { "200": { "description": "OpenAPI 3.1.",
                "content": { "application/json": { "schema": { "type": "object" } } } } } } },
        "/docs": { "get": {
            "operationId": "getDocs", "tags": ["operations"],
            "summary": "This document for people (Swagger UI, served from the binary).",
            "responses": { "200": { "description": "An HTML page.",
                "content": { "text/html": { "schema": { "type": "string" } } } } } } },
        "/docs/{file}": { "get": {
            "operationId": "getDocsAsset", "tags": ["operations"],
            "summary": "A file of the rendering (script, style sheet), embedded in the binary.",
            "parameters": [{ "name": "file", "in": "path", "required": true,
                "schema": { "type": "string" } }],
            "responses": {
                "200": { "description": "The file.", "content": {
                    "text/javascript": { "schema": { "type": "string" } },
                    "text/css": { "schema": { "type": "string" } } } },
                "404": { "description": "`not_found`" } } } },
        "/v1/callbacks/{adapter_instance}": { "get": {
            "operationId": "receiveCallbackHandshake", "tags": ["providers"],
            "summary": "A provider's webhook subscription handshake (WhatsApp's `hub.challenge`), verified by the adapter.",
            "parameters": [{ "name": "adapter_instance", "in": "path", "required": true,
                "description": "Adapter instance name", "schema": { "type": "string" } }],
            "responses": {
                "200": { "description": "The adapter's answer (the challenge), or a receipt.",
                    "content": {
                        "text/plain": { "schema": { "type": "string" } },
                        "application/json": { "schema": { "$ref": "#/components/schemas/CallbackReceipt" } } } },
                "400": { "description": "`malformed_callback`" },
                "401": { "description": "`invalid_signature`" },
                "404": { "description": "`adapter_not_found`, `callbacks_not_supported`" },
                "503": { "description": "`store_unavailable`" } } } }
    });
    let paths = doc["paths"].as_object_mut().expect("paths");
    for (path, item) in ops.as_object().expect("object") {
        let entry = paths.entry(path.clone()).or_insert_with(|| json!({}));
        for (method, op) in item.as_object().expect("object") {
            entry[method] = op.clone();
        }
    }
}
