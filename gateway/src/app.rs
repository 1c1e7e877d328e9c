//! The route table and the middleware stack, shared by the server and the tests.

use crate::api::{
    adapters, callbacks, connections, docs, locations, messages, preview, readiness, system,
    verifications,
};
use crate::error::ApiError;
use crate::http::deadline::body_deadline;
use crate::http::json::BodyLimit;
use crate::http::middleware::{observe, problem_safety_net, require_api_key};
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};

/// Answers 405 for a known path with a method it does not take, saying in `Allow`
/// which it takes.
async fn method_not_allowed(req: HttpRequest, allow: &'static str) -> HttpResponse {
    let mut res = ApiError::method_not_allowed(req.method().as_str(), req.path()).error_response();
    res.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    res
}

/// Answers 404 for a path no route matches.
async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::route_not_found(req.path()).error_response()
}

/// A resource whose other methods answer 405 in problem+json with `Allow: allow` (the
/// methods its routes take; `tests::allow_lists_the_routes` holds the two together).
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path)
        .default_service(web::route().to(move |req: HttpRequest| method_not_allowed(req, allow)))
}

/// The whole application for `state`.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limit = BodyLimit(state.config.server.max_body_bytes);
    App::new()
        .app_data(state)
        .app_data(limit)
        // Bodies read by actix's own extractors (callbacks) have the same limit.
        .app_data(web::PayloadConfig::new(limit.0))
        .service(
            resource("/healthz", "GET, HEAD")
                .route(web::get().to(system::healthz))
                .route(web::head().to(system::healthz)),
        )
        .service(
            resource("/readyz", "GET, HEAD")
                .route(web::get().to(system::readyz))
                .route(web::head().to(system::readyz)),
        )
        .service(
            resource("/metrics", "GET, HEAD")
                .route(web::get().to(system::metrics))
                .route(web::head().to(system::metrics)),
        )
        .service(
            resource("/openapi.json", "GET, HEAD")
                .route(web::get().to(system::openapi))
                .route(web::head().to(system::openapi)),
        )
        .service(resource("/docs", "GET").route(web::get().to(docs::index)))
        .service(resource("/docs/{file}", "GET").route(web::get().to(docs::asset)))
        // Providers authenticate callbacks with their own signatures, not API keys.
        .service(
            resource("/v1/callbacks/{adapter_instance}", "GET, POST")
                .route(web::post().to(callbacks::receive))
                .route(web::get().to(callbacks::receive)),
        )
        .service(
            web::scope("/v1")
                .wrap(from_fn(require_api_key))
                .service(resource("/messages", "POST").route(web::post().to(messages::create)))
                .service(
                    resource("/messages/preview", "POST").route(web::post().to(preview::preview)),
                )
                .service(resource("/messages/{id}", "GET").route(web::get().to(messages::get)))
                .service(
                    resource("/verifications", "POST").route(web::post().to(verifications::start)),
                )
                .service(
                    resource("/verifications/check", "POST")
                        .route(web::post().to(verifications::check_by_subject)),
                )
                .service(
                    resource("/verifications/{id}", "GET, DELETE")
                        .route(web::get().to(verifications::get))
                        .route(web::delete().to(verifications::cancel)),
                )
                .service(
                    resource("/verifications/{id}/check", "POST")
                        .route(web::post().to(verifications::check)),
                )
                .service(
                    resource("/tokens/introspect", "POST")
                        .route(web::post().to(verifications::introspect)),
                )
                .service(resource("/adapters", "GET").route(web::get().to(adapters::list)))
                .service(
                    resource("/connections", "GET, POST")
                        .route(web::post().to(connections::create))
                        .route(web::get().to(connections::list)),
                )
                .service(
                    resource("/connections/{id}", "GET, PATCH, DELETE")
                        .route(web::get().to(connections::get))
                        .route(web::patch().to(connections::patch))
                        .route(web::delete().to(connections::delete)),
                )
                .service(
                    resource("/connections/{id}/test", "POST")
                        .route(web::post().to(connections::test)),
                )
                .service(
                    resource("/locations/{location_id}/readiness", "GET")
                        .route(web::get().to(readiness::readiness)),
                )
                .service(
                    resource("/locations/{location_id}", "GET, PUT, DELETE")
                        .route(web::put().to(locations::put))
                        .route(web::get().to(locations::get))
                        .route(web::delete().to(locations::delete)),
                )
                .default_service(web::route().to(not_found)),
        )
        .default_service(web::route().to(not_found))
        .wrap(ErrorHandlers::new().default_handler(problem_safety_net))
        .wrap(from_fn(body_deadline))
        .wrap(from_fn(observe))
}
