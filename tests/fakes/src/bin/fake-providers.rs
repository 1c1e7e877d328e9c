//! `fake-providers`: the three fake providers (Twilio, Telegram Gateway, WhatsApp Cloud
//! API) and the generic HTTP adapter's receiver on fixed loopback ports, so a person can
//! run the gateway with `examples/providers.toml` and try the real adapters by hand, plus
//! the control server ([`fake_providers::control`]) whose switches make a fake refuse,
//! fail, be slow or send a delivery report. Prints the base URLs and the environment the
//! example needs, then every request the fakes receive (these are the "phones": codes
//! included), until Ctrl-C.
//!
//! The fakes bind `127.0.0.1:0` (that is all their API offers), so each fixed port is a
//! plain TCP forwarder to its fake: transparent to HTTP, a few lines of tokio.

use clap::Parser;
use fake_providers::control::{ControlServer, Fakes};
use fake_providers::http_receiver::{self, FakeReceiver};
use fake_providers::telegram::FakeTelegram;
use fake_providers::twilio::{FAKE_FROM, FakeAccount as TwilioAccount, FakeTwilio};
use fake_providers::whatsapp::{FakeAccount as WhatsAppAccount, FakeWhatsApp};
use fake_providers::{TELEGRAM_TOKEN, example_env};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Runs fake Twilio, Telegram Gateway and WhatsApp Cloud API servers on loopback.
#[derive(Parser)]
#[command(about)]
struct Args {
    /// Address of the fake Twilio (`base_url` of the `sms` instance).
    #[arg(long, default_value = "127.0.0.1:18901")]
    twilio: SocketAddr,
    /// Address of the fake Telegram Gateway API.
    #[arg(long, default_value = "127.0.0.1:18902")]
    telegram: SocketAddr,
    /// Address of the fake WhatsApp Cloud API.
    #[arg(long, default_value = "127.0.0.1:18903")]
    whatsapp: SocketAddr,
    /// Address of the HTTP adapter's fake receiver (`url` = `http://{addr}/sms`).
    #[arg(long, default_value = "127.0.0.1:18904")]
    http: SocketAddr,
    /// Address of the control server (switches: refuse, fail, slow, accept, report).
    #[arg(long, default_value = "127.0.0.1:18900")]
    control: SocketAddr,
    /// The gateway's base URL, where WhatsApp reports go (`/v1/callbacks/whatsapp`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    gateway: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let fakes = Arc::new(Fakes {
        twilio: FakeTwilio::start(TwilioAccount::default()),
        telegram: FakeTelegram::start(TELEGRAM_TOKEN),
        whatsapp: FakeWhatsApp::start(WhatsAppAccount::default()),
        http: FakeReceiver::start(http_receiver::FAKE_SECRET),
        gateway: args.gateway.clone(),
    });
    let Fakes {
        twilio,
        telegram,
        whatsapp,
        http: receiver,
        ..
    } = &*fakes;
    let receiver_base = receiver.url.trim_end_matches("/sms").to_owned();
    for (name, at, target) in [
        ("twilio", args.twilio, &twilio.base_url),
        ("telegram", args.telegram, &telegram.base_url),
        ("whatsapp", args.whatsapp, &whatsapp.base_url),
        ("http", args.http, &receiver_base),
    ] {
        let listener = TcpListener::bind(at).await?;
        let target: SocketAddr = target
            .trim_start_matches("http://")
            .parse()
            .expect("the fakes' base URLs are http://ip:port");
        tokio::spawn(forward(listener, target));
        println!("fake {name:<9} http://{at}");
    }
    let control = ControlServer::start(args.control, Arc::clone(&fakes));
    println!(
        "switches      {} (GET it for the list; e.g. curl -X POST {}/telegram/refuse)",
        control.base_url, control.base_url
    );
    println!(
        "twilio account {} sender {FAKE_FROM}; whatsapp phone_number_id {}",
        TwilioAccount::default().account_sid,
        whatsapp.account.phone_number_id
    );
    println!("the gateway needs (examples/providers.toml):");
    for (var, value) in example_env() {
        println!("  export {var}={value}");
    }
    println!("Ctrl-C stops.");
    // How many requests and violations of each fake were printed already.
    let mut shown = [0usize; 8];
    let mut tick = tokio::time::interval(Duration::from_millis(300));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = tick.tick() => {}
        }
        let tw = twilio.requests();
        for r in tw.iter().skip(shown[0]) {
            let to = r.field("To").unwrap_or("?");
            let body = r.field("Body").unwrap_or("");
            println!("twilio   {} {} to {to}: {body:?}", r.method, r.path);
        }
        let tg = telegram.requests();
        for r in tg.iter().skip(shown[1]) {
            println!("telegram {} {}", r.path, r.body);
        }
        let wa = whatsapp.requests();
        for r in wa.iter().skip(shown[2]) {
            println!("whatsapp {} {}", r.path, r.body);
        }
        let hr = receiver.requests();
        for r in hr.iter().skip(shown[3]) {
            let signed = if r.signed { "signed" } else { "BAD SIGNATURE" };
            println!("http     {signed} {}", r.body);
        }
        let violations = [
            twilio.violations(),
            telegram.violations(),
            whatsapp.violations(),
            receiver.violations(),
        ];
        for (i, list) in violations.iter().enumerate() {
            for v in list.iter().skip(shown[4 + i]) {
                println!("VIOLATION {v}");
            }
        }
        shown = [
            tw.len(),
            tg.len(),
            wa.len(),
            hr.len(),
            violations[0].len(),
            violations[1].len(),
            violations[2].len(),
            violations[3].len(),
        ];
    }
    Ok(())
}

/// Forwards every connection on `listener` to `target`, byte for byte.
async fn forward(listener: TcpListener, target: SocketAddr) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}
