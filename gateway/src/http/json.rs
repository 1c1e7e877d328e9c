//! `JsonBody<T>`: the request-body extractor every handler uses.
//!
//! It replaces actix's `web::Json` so that every way a body can be wrong becomes a
//! problem+json that names the field: wrong content type (415), too large (413),
//! not JSON (400 `invalid_json`), wrong type, missing or unknown field (422
//! `validation_failed` with `field`, via `serde_path_to_error`).

use crate::error::{ApiError, ErrorCode};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// Largest body accepted; set as app data from `server.max_body_bytes`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body decoded into `T`, plus its raw bytes (for idempotency fingerprints).
#[derive(Debug)]
pub struct JsonBody<T> {
    /// The decoded value.
    pub value: T,
    /// The raw body as received.
    pub raw: web::Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(64 * 1024);
        let content_type_ok = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        let declared_len = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "Send the body as JSON with `Content-Type: application/json`.",
                ));
            }
            if declared_len.is_some_and(|n| n > limit) {
                return Err(ApiError::payload_too_large(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    if crate::http::deadline::is_timeout(&e) {
                        ApiError::request_timeout()
                    } else {
                        ApiError::bad_request(format!("The body could not be read: {e}."))
                    }
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::payload_too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            let raw = body.freeze();
            let value = parse(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// Decodes JSON, naming the offending field on data errors.
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_json(
            "The body is empty; send a JSON object.",
        ));
    }
    // Every body is one JSON object: serde would read a struct from an array too.
    if raw.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid_json(
            "The body must be a single JSON object (`{...}`).",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let msg = inner.to_string();
            // serde's text ends with " at line L column C"; the field says where.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            let parent = if path == "." { String::new() } else { path };
            // A missing field is named inside the message, not in the path (an unknown
            // one is already the last path segment).
            let named = msg
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned);
            let field = match named {
                Some(n) if parent.is_empty() => n,
                Some(n) => format!("{parent}.{n}"),
                None => parent,
            };
            let detail = if field.is_empty() {
                format!("The body is not valid for this endpoint: {msg}.")
            } else {
                format!("Field `{field}` is invalid: {msg}.")
            };
            let mut e = ApiError::invalid_field(&field, detail);
            if field.is_empty() {
                e.extra.remove("field");
            }
            e
        } else {
            ApiError::invalid_json(format!("The body is not valid JSON: {inner}."))
        }
    })?;
    // Nothing may follow the object (`{...}{...}` is two bodies, not one).
    de.end().map_err(|_| {
        ApiError::invalid_json(
            "The body has data after the JSON object; send exactly one JSON object.",
        )
    })?;
    Ok(value)
}

pub use crate::json_shape::object_or_null;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        template: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
    }

    #[test]
    fn names_the_field_of_a_type_error() {
        let e = parse::<Outer>(br#"{"name":"a","inner":{"template":5}}"#).unwrap_err();
        assert_eq!(e.status, 422);
        assert_eq!(e.extra["field"], "inner.template");
        assert!(e.detail.contains("inner.template"), "{}", e.detail);
    }

    #[test]
    fn unknown_and_missing_fields_are_422() {
        let e = parse::<Outer>(br#"{"name":"a","extra":1}"#).unwrap_err();
        assert_eq!(e.status, 422);
        assert!(e.detail.contains("extra"), "{}", e.detail);
        assert_eq!(e.extra["field"], "extra");
        let e = parse::<Outer>(br#"{}"#).unwrap_err();
        assert_eq!(e.status, 422);
        assert_eq!(e.extra["field"], "name");
        let e = parse::<Outer>(br#"{"name":"a","inner":{}}"#).unwrap_err();
        assert_eq!(e.extra["field"], "inner.template");
    }

    #[test]
    fn only_one_object_is_a_body() {
        for body in [
            &br#"{"name":"a"}{"name":"b"}"#[..],
            br#"{"name":"a"} x"#,
            br#"["a", null]"#,
            br#" ["a"]"#,
            b"\"a\"",
        ] {
            let e = parse::<Outer>(body).unwrap_err();
            assert_eq!(e.status, 400, "{:?}", String::from_utf8_lossy(body));
            assert_eq!(e.code, "invalid_json");
        }
        assert!(parse::<Outer>(b" {\"name\":\"a\"} \n").is_ok());
    }

    #[test]
    fn syntax_errors_are_400() {
        for body in [&b"{"[..], b"not json", b"   ", b"{\"name\":\"a\",}"] {
            let e = parse::<Outer>(body).unwrap_err();
            assert_eq!(e.status, 400, "{:?}", String::from_utf8_lossy(body));
            assert_eq!(e.code, "invalid_json");
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        name: String,
        #[serde(default, deserialize_with = "object_or_null")]
        inner: Option<Inner>,
    }

    #[test]
    fn arrays_are_not_objects() {
        let e = parse::<Outer>(br#" ["a", null]"#).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code.as_str()), (400, "invalid_json"));
        let e = parse::<Strict>(br#"{"name":"a","inner":["x"]}"#).unwrap_err();
        assert_eq!(e.extra["field"], "inner", "{e:?}");
        let ok = parse::<Strict>(br#"{"name":"a","inner":{"template":"t"}}"#).unwrap();
        assert_eq!(ok.inner.unwrap().template, "t");
        assert!(
            parse::<Strict>(br#"{"name":"a","inner":null}"#)
                .unwrap()
                .inner
                .is_none()
        );
        assert!(parse::<Strict>(br#"{"name":"a"}"#).unwrap().inner.is_none());
    }
}
