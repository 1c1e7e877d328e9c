//! `GET /docs`: the API reference for people, Swagger UI rendering `/openapi.json`.
//! Its files are vendored from the npm package `swagger-ui-dist` (see
//! `gateway/assets/swagger-ui/README.md`) and embedded in the binary, so the page works
//! offline and requests nothing from another host.

use crate::error::ApiError;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use actix_web::{HttpResponse, web};

/// The embedded files: name under `/docs/`, media type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/init.js"),
    ),
];

const INDEX: &str = include_str!("../../assets/swagger-ui/index.html");

/// Only this origin: the page cannot load or send anything elsewhere.
const POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'";

/// `GET /docs`: the page.
pub async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((CONTENT_SECURITY_POLICY, POLICY))
        .body(INDEX)
}

/// `GET /docs/{file}`: one embedded asset.
pub async fn asset(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let (_, media_type, bytes) = ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| ApiError::route_not_found(&format!("/docs/{name}")))?;
    Ok(HttpResponse::Ok()
        .content_type(*media_type)
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(*bytes))
}
