//! The `gateway` command: `serve`, `check-config`, `hash-key`, `rotate-secrets`. Parses the command line,
//! loads configuration and hands over to the library.

use clap::{Parser, Subcommand};
use gateway::config::Config;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Confirmation-code gateway.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the HTTP service.
    Serve {
        /// Configuration file (TOML); defaults and GATEWAY__* variables apply without one.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on (overrides server.listen); port 0 picks a free port.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Data directory (overrides store.data_dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Validates a configuration and prints a redacted summary.
    CheckConfig {
        /// Configuration file (TOML).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Reads an API key on stdin and prints the hash to put under [auth].
    HashKey,
    /// Re-encrypts every connection's secrets under the current [secrets] key (list the
    /// old key in secrets.previous_keys until this has run).
    RotateSecrets {
        /// Configuration file (TOML).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Data directory (overrides store.data_dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            config,
            listen,
            data_dir,
        } => serve(config, listen, data_dir),
        Command::CheckConfig { config } => match gateway::check::check_config(config.as_deref()) {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("configuration error: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::RotateSecrets { config, data_dir } => rotate_secrets(config, data_dir),
        Command::HashKey => {
            let mut key = String::new();
            if std::io::stdin().read_to_string(&mut key).is_err() || key.trim().is_empty() {
                eprintln!("hash-key: write the API key on standard input");
                return ExitCode::from(2);
            }
            println!(
                "{}",
                gateway::auth::hash_key(key.trim_end_matches(['\r', '\n']))
            );
            ExitCode::SUCCESS
        }
    }
}

fn serve(
    config: Option<PathBuf>,
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
) -> ExitCode {
    let mut cfg = match Config::load(config.as_deref(), None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let configured_listen = cfg.server.listen;
    if let Some(l) = listen {
        cfg.server.listen = l;
    }
    if let Some(d) = data_dir {
        cfg.store.data_dir = d;
    }
    gateway::logging::init(&cfg.log);
    // A panic anywhere in the process (an in-process adapter, a bug) is logged in the
    // log's own format with phone numbers masked, never printed raw to stderr.
    std::panic::set_hook(Box::new(|info| {
        let text = gateway::phone::redact_numbers(&info.to_string());
        tracing::error!(panic = %text, "panic");
    }));
    let listener = match std::net::TcpListener::bind(cfg.server.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", cfg.server.listen);
            return ExitCode::from(1);
        }
    };
    if let Ok(bound) = listener.local_addr()
        && let Some(url) = cfg.server.follow_listen(configured_listen, bound)
    {
        tracing::info!(public_url = %url, "server.public_url follows the listen address");
    }
    let result = actix_web::rt::System::new().block_on(async move {
        let state = gateway::server::build_state(cfg).await?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, adapters = state.adapters.iter().count(), "gateway listening");
        // Test harnesses read the bound port from this line.
        println!("gateway listening on {addr}");
        gateway::server::run(state, listener, shutdown_signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("gateway failed: {e:#}");
            eprintln!("gateway failed: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn rotate_secrets(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> ExitCode {
    let mut cfg = match Config::load(config.as_deref(), None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(d) = data_dir {
        cfg.store.data_dir = d;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rotate-secrets: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(gateway::server::rotate_secrets(&cfg)) {
        Ok(report) => {
            println!(
                "rotate-secrets: {} re-encrypted, {} already current, {} failed",
                report.resealed,
                report.current,
                report.failed.len()
            );
            for (id, reason) in &report.failed {
                println!("  {id}: {reason}");
            }
            if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("rotate-secrets: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers the process can still be killed; never stop on our own.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
