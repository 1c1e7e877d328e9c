//! `report`: the fake signs a delivery report for one of the messages it accepted, as
//! its provider would, posts it to the gateway and hands back the gateway's answer.

use super::Fakes;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Builds, signs and posts the report; `Err((status, detail))` when it cannot.
pub(super) async fn send(
    fakes: &Fakes,
    fake: &str,
    query: &HashMap<String, String>,
) -> Result<Value, (u16, String)> {
    let status = query.get("status").map_or("delivered", String::as_str);
    let error = query.get("error").map(String::as_str);
    let failed = matches!(status, "failed" | "undelivered");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let unknown = |id: Option<String>| {
        id.ok_or_else(|| (409, format!("the {fake} fake has accepted no message yet")))
    };
    let id = match query.get("id") {
        Some(id) => id.clone(),
        None => unknown(match fake {
            "twilio" => fakes.twilio.accepted().last().map(|m| m.sid.clone()),
            "telegram" => fakes.telegram.last_request_id(),
            "whatsapp" => fakes.whatsapp.last_message_id(),
            _ => fakes.http.accepted().last().map(|m| m.id.clone()),
        })?,
    };
    let not_found = || {
        (
            404,
            format!("the {fake} fake accepted no message `{id}` with a callback URL"),
        )
    };
    let (url, headers, body) = match fake {
        "twilio" => {
            let code = error.or(failed.then_some("30003"));
            let cb = fakes
                .twilio
                .status_callback(&id, status, code)
                .ok_or_else(not_found)?;
            (cb.url, cb.headers, cb.body)
        }
        "telegram" => {
            let r = fakes
                .telegram
                .report(&id, status, now)
                .ok_or_else(not_found)?;
            (r.url.ok_or_else(not_found)?, r.headers, r.body)
        }
        "whatsapp" => {
            let code = failed.then(|| (131026, error.unwrap_or("Message undeliverable")));
            let w = fakes
                .whatsapp
                .status_webhook(&id, status, now, code)
                .ok_or_else(not_found)?;
            let url = query.get("url").cloned().unwrap_or_else(|| {
                format!(
                    "{}/v1/callbacks/whatsapp",
                    fakes.gateway.trim_end_matches('/')
                )
            });
            (url, w.headers, w.body)
        }
        _ => {
            let r = fakes
                .http
                .report(&id, status, now, error)
                .ok_or_else(not_found)?;
            (r.url.ok_or_else(not_found)?, r.headers, r.body)
        }
    };
    let mut post = reqwest::Client::new().post(&url).body(body);
    for (k, v) in &headers {
        post = post.header(k, v);
    }
    let answer = post
        .send()
        .await
        .map_err(|e| (502, format!("posting the report to {url} failed: {e}")))?;
    let gateway_status = answer.status().as_u16();
    let text = answer.text().await.unwrap_or_default();
    let gateway_answer = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    Ok(json!({
        "fake": fake, "switch": "report", "id": id, "status": status, "url": url,
        "gateway_status": gateway_status, "gateway_answer": gateway_answer
    }))
}
