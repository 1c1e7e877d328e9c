//! What the shipped adapter libraries contain: the built `libadapter_*.so` files the
//! gateway loads link no actix-web and no fake provider (those live in `tests/fakes`,
//! which only tests and the `fake-providers` binary link). The bytes of each library are
//! searched, which covers both `nm -D` (dynamic symbol names are stored as bytes) and
//! `strings`; the debug build checked here has the same dependencies and features as a
//! release build.

use e2e::artefact;

/// Byte strings that appear in any library linking actix-web or the fakes.
const FORBIDDEN: [&str; 5] = [
    "actix",
    "fake_providers",
    "FakeTwilio",
    "FakeWhatsApp",
    "FakeReceiver",
];

#[test]
fn provider_libraries_link_no_web_server_and_no_fakes() {
    for name in ["twilio", "telegram", "whatsapp", "smpp", "http", "mock"] {
        let path = artefact(&format!("libadapter_{name}.so"));
        // Lossy text keeps every ASCII run as it is, and std's (optimised) substring
        // search is fast on a debug test build's 60 MB libraries.
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for needle in FORBIDDEN {
            let hits = text.matches(needle).count();
            assert_eq!(
                hits,
                0,
                "{} contains `{needle}` {hits} times",
                path.display()
            );
        }
        // The one entry point the loader looks up is there (the search is not blind).
        assert!(
            text.contains("gateway_adapter_entry"),
            "{} exports no gateway_adapter_entry",
            path.display()
        );
    }
}
