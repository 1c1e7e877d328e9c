//! The SDK's conformance battery through the real C ABI table, against the fake receiver
//! or, when `HTTP_ADAPTER_CONFORMANCE_URL` is set, against an integrator's own service
//! (docs/adapters/http.md, "Testing your service"):
//!
//! ```sh
//! HTTP_ADAPTER_CONFORMANCE_URL=https://sms.example.com/send \
//! HTTP_ADAPTER_CONFORMANCE_SECRET=whsec_... \
//!   cargo test -p adapter-http-core --test conformance -- --nocapture
//! ```
//!
//! The kit asks for each case by a query parameter on the URL (`conformance=accept`,
//! `client_error`, `server_error`, `stall`, `malformed`), and checks that the service
//! refuses a request signed with another secret and one signed ten minutes ago.

#![allow(clippy::unwrap_used)]

use adapter_http_core::HttpAdapter;
use fake_providers::http_receiver::{FAKE_SECRET, FakeReceiver, SignedReport, report_body};
use gateway_sdk::conformance::{ConformanceHarness, ProviderErrorCase, Scenario, run_conformance};
use gateway_sdk::{Adapter, CallbackRequest, SendRequest, TextEncoding};
use std::sync::Arc;
use time::OffsetDateTime;

/// The variable naming the service to test instead of the fake.
const URL_VAR: &str = "HTTP_ADAPTER_CONFORMANCE_URL";
/// The variable holding that service's signing secret.
const SECRET_VAR: &str = "HTTP_ADAPTER_CONFORMANCE_SECRET";
/// A secret no service is configured with.
const OTHER_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

struct Harness {
    url: String,
    secret: String,
    /// The fake receiver, when the battery adds the whole status table through it;
    /// `None` for a service given by URL, which is tested only on what any service owes.
    fake: Option<FakeReceiver>,
}

impl Harness {
    fn from_env() -> Self {
        match std::env::var(URL_VAR) {
            Ok(url) if !url.is_empty() => {
                let secret = std::env::var(SECRET_VAR)
                    .unwrap_or_else(|_| panic!("{URL_VAR} is set: set {SECRET_VAR} too"));
                Self::external(url, secret)
            }
            _ => {
                let fake = FakeReceiver::start(FAKE_SECRET);
                Self {
                    url: fake.url.clone(),
                    secret: FAKE_SECRET.into(),
                    fake: Some(fake),
                }
            }
        }
    }

    /// The battery for a service at `url` that verifies with `secret`.
    fn external(url: String, secret: String) -> Self {
        Self {
            url,
            secret,
            fake: None,
        }
    }

    /// The URL with `query` appended.
    fn url_with(&self, query: &str) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}{query}", self.url)
    }

    fn adapter_at(&self, url: &str, secret: &str) -> HttpAdapter {
        let settings = serde_json::json!({ "url": url, "signing_secret": secret });
        HttpAdapter::create(settings, gateway_sdk::test_util::context("http"))
            .unwrap_or_else(|e| panic!("the adapter refuses these settings: {e}"))
    }

    fn signed_report(&self, status: &str) -> CallbackRequest {
        let now = OffsetDateTime::now_utc();
        let body = report_body("conformance_1", status, now.unix_timestamp(), None);
        SignedReport::sign(&self.secret, "rep_conformance", now.unix_timestamp(), body)
            .to_callback_request(now)
    }
}

#[gateway_sdk::async_trait]
impl ConformanceHarness for Harness {
    type Adapter = HttpAdapter;

    async fn adapter(&self, scenario: Scenario) -> HttpAdapter {
        let name = match scenario {
            Scenario::Accept => "accept",
            Scenario::ClientError => "client_error",
            Scenario::ServerError => "server_error",
            Scenario::Stall => "stall",
            Scenario::Malformed => "malformed",
        };
        self.adapter_at(&self.url_with(&format!("conformance={name}")), &self.secret)
    }

    fn request(&self, message_id: &str) -> SendRequest {
        SendRequest {
            text: "Your code: 482193".into(),
            callback_url: Some("https://gw.example/v1/callbacks/http".into()),
            encoding: Some(TextEncoding::Gsm7),
            segments: Some(1),
            ..gateway_sdk::test_util::send_request(message_id, "+15005550006")
        }
    }

    fn callback(&self, valid: bool) -> Option<CallbackRequest> {
        let mut report = self.signed_report("delivered");
        if !valid {
            report.body = report.body.replace("delivered", "failed");
        }
        Some(report)
    }

    fn callback_with_unknown_status(&self) -> Option<CallbackRequest> {
        Some(self.signed_report("fermenting"))
    }

    fn provider_errors(&self) -> Vec<ProviderErrorCase> {
        // Any service must refuse what it cannot trust.
        let mut rows = vec![
            ProviderErrorCase::new("wrong-secret", "auth"),
            ProviderErrorCase::new("stale-timestamp", "auth"),
        ];
        if self.fake.is_some() {
            // The status table of docs/adapters/http.md, through the fake.
            for (answer, kind) in [
                ("status=400", "rejected"),
                ("status=422", "rejected"),
                ("status=401", "auth"),
                ("status=402", "account"),
                ("status=403", "account"),
                ("status=404", "config"),
                ("status=429&retry_after=3", "throttled"),
                ("status=500", "transient"),
                ("status=503&retry_after=5", "transient"),
                ("status=400&kind=unreachable", "unreachable"),
                ("status=200&kind=account", "account"),
                ("status=500&kind=rejected", "rejected"),
            ] {
                rows.push(ProviderErrorCase::new(answer, kind));
            }
        }
        rows
    }

    async fn adapter_answering(&self, answer: &str) -> Option<HttpAdapter> {
        let accept = self.url_with("conformance=accept");
        Some(match answer {
            "wrong-secret" => self.adapter_at(&accept, OTHER_SECRET),
            "stale-timestamp" => {
                let ten_minutes_ago = OffsetDateTime::now_utc().unix_timestamp() - 600;
                self.adapter_at(&accept, &self.secret)
                    .with_clock(Arc::new(move || ten_minutes_ago))
            }
            query => self.adapter_at(&self.url_with(query), &self.secret),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_sdk_conformance_battery() {
    let harness = Harness::from_env();
    run_conformance(&harness).await;
    if let Some(fake) = &harness.fake {
        assert_eq!(fake.violations(), Vec::<String>::new());
        assert_eq!(fake.accepted().len(), 101, "accept + 100 concurrent");
        assert_eq!(
            fake.refused_signatures(),
            2,
            "wrong secret, stale timestamp"
        );
    } else {
        println!(
            "{} passes the HTTP adapter's conformance battery",
            harness.url
        );
    }
}

/// The by-URL mode itself, against a receiver on 127.0.0.1 it knows only by URL: what an
/// integrator's run does, and that a service with another secret fails it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_battery_runs_against_a_service_given_by_url() {
    let service = FakeReceiver::start(FAKE_SECRET);
    run_conformance(&Harness::external(service.url.clone(), FAKE_SECRET.into())).await;
    assert_eq!(service.violations(), Vec::<String>::new());
    assert_eq!(
        service.refused_signatures(),
        2,
        "wrong secret, stale timestamp"
    );

    let misconfigured = Harness::external(service.url.clone(), OTHER_SECRET.into());
    let failed = tokio::spawn(async move { run_conformance(&misconfigured).await }).await;
    let panic = failed.expect_err("a service with another secret fails the battery");
    let message = panic
        .into_panic()
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    assert!(
        message.contains("conformance case `accept` failed"),
        "{message}"
    );
}
