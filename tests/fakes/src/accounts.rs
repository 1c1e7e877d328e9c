//! The credentials the fake providers accept, and the environment variables
//! `examples/providers.toml` reads them from: one place for the end-to-end tests, the
//! `fake-providers` binary and the example's documentation to agree on.

/// The token the fake Telegram Gateway API is started with (any value works; the
/// adapter must present the same).
pub const TELEGRAM_TOKEN: &str = "fake-telegram-gateway-token";

/// The webhook verify token the example configures for WhatsApp. Meta's handshake
/// presents it; the fake Cloud API never sees it.
pub const WHATSAPP_VERIFY_TOKEN: &str = "fake-whatsapp-verify-token";

/// `(variable, value)` for every secret `examples/providers.toml` reads from the
/// environment, with the values the fakes (started with their default accounts and
/// [`TELEGRAM_TOKEN`]) accept.
pub fn example_env() -> Vec<(&'static str, String)> {
    let twilio = crate::twilio::FakeAccount::default();
    let whatsapp = crate::whatsapp::FakeAccount::default();
    vec![
        ("TWILIO_AUTH_TOKEN", twilio.auth_token),
        ("TELEGRAM_GATEWAY_TOKEN", TELEGRAM_TOKEN.to_owned()),
        ("WHATSAPP_ACCESS_TOKEN", whatsapp.access_token),
        ("WHATSAPP_APP_SECRET", whatsapp.app_secret),
        ("WHATSAPP_VERIFY_TOKEN", WHATSAPP_VERIFY_TOKEN.to_owned()),
        (
            "HTTP_ADAPTER_SIGNING_SECRET",
            crate::http_receiver::FAKE_SECRET.to_owned(),
        ),
    ]
}
