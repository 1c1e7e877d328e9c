//! Start-up and shutdown: build the state from the configuration, serve until the
//! `shutdown` future completes, then finish in-flight requests (mini-redis style:
//! shutdown is an argument, not a global).

mod connections;
pub mod drain;
pub mod malformed;
mod ticks;

use crate::adapters::AdapterKinds;
use crate::adapters::{Adapters, HostContext};
use crate::app::build_app;
use crate::auth::ApiKeys;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::connections::{Connections, RotateReport};
use crate::limits::Limits;
use crate::locations::LocationCache;
use crate::metrics::Metrics;
use crate::render::Renderer;
use crate::secret::ServerSecret;
use crate::state::AppState;
use crate::store::{RedisStore, SqliteStore, Store, StoreBackend, millis};
use crate::vault::Vault;
use actix_http::{HttpService, Protocol};
use actix_service::{ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::AppConfig;
use actix_web::http::KeepAlive;
use actix_web::web;
use anyhow::Context;
use malformed::ProblemIo;
use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The directory adapter libraries are loaded from: `adapters_dir` if set, else the
/// directory of the running executable (so `target/debug` works in development).
pub fn adapters_dir(config: &Config) -> PathBuf {
    config.adapters_dir.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."))
    })
}

/// Opens the store `config` describes (`[store] backend`).
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match config.store.backend {
        StoreBackend::Sqlite => Arc::new(
            SqliteStore::open(&config.store.data_dir, config.store.busy_timeout).with_context(
                || format!("opening the store in `{}`", config.store.data_dir.display()),
            )?,
        ),
        StoreBackend::Redis => Arc::new(
            RedisStore::connect(&config.store.redis)
                .await
                .context("connecting to Redis (`[store.redis]`)")?,
        ),
    })
}

/// How long a location is served from memory: `store.location_cache_ttl`, but at most
/// one second on a shared backend, so a change made through another instance is seen
/// everywhere within a second.
pub fn location_cache_ttl_ms(config: &Config) -> i64 {
    let configured = i64::try_from(config.store.location_cache_ttl.as_millis()).unwrap_or(i64::MAX);
    match config.store.backend {
        StoreBackend::Sqlite => configured,
        StoreBackend::Redis => configured.min(SHARED_LOCATION_CACHE_MS),
    }
}

/// The longest a location stays cached on a shared backend.
pub const SHARED_LOCATION_CACHE_MS: i64 = 1_000;

/// `gateway rotate-secrets`: re-seals every connection's secrets under the current
/// `[secrets]` key. Safe to run while gateways serve (each record is re-sealed in one
/// atomic step, and only if it did not change meanwhile).
pub async fn rotate_secrets(config: &Config) -> anyhow::Result<RotateReport> {
    let vault = Vault::from_config(&config.secrets)?.context(
        "no [secrets] key is configured: set GATEWAY__SECRETS__KEY (or secrets.key_file) to the new key \
         and list the old one in secrets.previous_keys",
    )?;
    let connections = Connections::new(
        open_store(config).await?,
        Some(Arc::new(vault)),
        AdapterKinds::default(),
        host_context(config),
        &config.connections,
    );
    Ok(connections.rotate(millis(SystemClock.now())).await?)
}

/// What adapter instances are told about the gateway.
pub fn host_context(config: &Config) -> HostContext {
    HostContext {
        data_dir: config.store.data_dir.clone(),
        public_url: config.server.public_url.clone(),
        reports: None,
    }
}

/// Builds the shared state for `config` with real components.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = open_store(&config).await?;
    let dir = adapters_dir(&config);
    let (reports, pushed) = crate::flows::pushed::report_queue();
    let ctx = HostContext {
        reports: Some(reports),
        ..host_context(&config)
    };
    let adapters = Adapters::load(&dir, &config.adapters, &ctx).context("loading adapters")?;
    let libraries = config.adapters.iter().map(|a| a.library.as_str());
    let extra = config.connections.libraries.iter().map(String::as_str);
    let kinds = AdapterKinds::open(&dir, libraries.chain(extra))
        .context("opening adapter libraries for connections")?;
    let state = state_with_kinds(config, clock, store, adapters, kinds).await?;
    tokio::spawn(crate::flows::pushed::apply_pushed(state.clone(), pushed));
    Ok(state)
}

/// Builds the shared state from parts (tests inject a manual clock and in-process
/// adapters); connections can use no adapter kind.
pub async fn state_with(
    config: Config,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
    adapters: Adapters,
) -> anyhow::Result<AppState> {
    state_with_kinds(config, clock, store, adapters, AdapterKinds::default()).await
}

/// [`state_with`], with the adapter kinds connections may use.
pub async fn state_with_kinds(
    config: Config,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
    adapters: Adapters,
    kinds: AdapterKinds,
) -> anyhow::Result<AppState> {
    // The phone metadata is parsed on first use (most of a second in a debug build):
    // done here, before listening, so no request waits for it.
    let started = std::time::Instant::now();
    crate::phone::warm();
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "phone numbering plan loaded"
    );
    let vault = Vault::from_config(&config.secrets)?.map(Arc::new);
    let connections = Connections::new(
        store.clone(),
        vault,
        kinds,
        host_context(&config),
        &config.connections,
    );
    let renderer =
        Renderer::new(&config.render).context("checking [render] templates and operators")?;
    let limits = Limits::new(&config.limits, &throughputs(&config)).context("checking [limits]")?;
    let secret = ServerSecret::load(
        config.verification.secret.as_ref().map(|s| s.expose()),
        &config.store.data_dir,
        store.as_ref(),
    )
    .await
    .context("loading the server secret")?;
    crate::secret::hash_legacy_keys(store.as_ref(), secret.store_keys())
        .await
        .context("moving quota counters and pending verifications to hashed keys")?;
    let metrics = Metrics::new(env!("CARGO_PKG_VERSION"), gateway_sdk::abi::ABI_VERSION);
    for a in adapters.iter() {
        metrics.set_adapter_up(a.name(), true);
    }
    let locations = LocationCache::new(location_cache_ttl_ms(&config));
    Ok(AppState {
        connections: Arc::new(connections),
        channel_board: Arc::default(),
        expiring_verifications: Arc::new(crate::clock::due::DueQueue::new(
            crate::flows::verifications::WATCHED_EXPIRIES,
        )),
        late_fallbacks: Arc::new(crate::clock::due::DueQueue::new(
            crate::flows::fallback::WATCHED_WINDOWS,
        )),
        locations: Arc::new(locations),
        api_keys: ApiKeys::from_config(&config.auth.api_keys),
        config: Arc::new(config),
        store,
        clock,
        renderer: Arc::new(renderer),
        adapters,
        metrics,
        limits: Arc::new(limits),
        secret,
    })
}

/// `(instance, per_second, burst)` for every adapter instance with a throughput limit.
pub fn throughputs(config: &Config) -> Vec<(String, u32, u32)> {
    config
        .adapters
        .iter()
        .filter_map(|a| {
            a.throughput
                .as_ref()
                .map(|t| (a.name.clone(), t.per_second, t.burst))
        })
        .collect()
}

/// How long shutdown lets in-flight requests run: `server.shutdown_timeout`, stretched
/// to the longest a send can take (a reachability check and a send through every
/// adapter in turn, each within the adapter's timeout, plus a second) so a
/// send that a provider is about to accept is never cut in the middle.
pub fn drain_timeout(state: &AppState) -> Duration {
    let configured = state.config.server.shutdown_timeout;
    let longest_send = state
        .adapters
        .iter()
        .map(|a| a.timeout() * 2)
        .sum::<Duration>()
        + Duration::from_secs(1);
    if longest_send > configured {
        tracing::warn!(
            shutdown_timeout_s = configured.as_secs_f64(),
            longest_send_s = longest_send.as_secs_f64(),
            "server.shutdown_timeout is shorter than a send through every adapter; shutdown waits for the longer"
        );
    }
    configured.max(longest_send)
}

/// Serves on `listener` until `shutdown` completes, then stops accepting and lets the
/// requests already accepted finish, for up to [`drain_timeout`].
pub async fn run(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let cfg = state.config.clone();
    let drain = drain_timeout(&state);
    let open_files = connections::raise_open_file_limit();
    let workers = cfg.server.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let cap = connections::connection_cap(cfg.server.max_connections, open_files);
    tracing::info!(
        workers,
        max_connections = cap,
        open_file_limit = open_files,
        "connection limits"
    );
    let keep_alive = if cfg.server.keep_alive.is_zero() {
        KeepAlive::Disabled
    } else {
        KeepAlive::Timeout(cfg.server.keep_alive)
    };
    let data = web::Data::new(state.clone());
    // A second handle on the listening socket: it stays open after actix stops
    // accepting, so the backlog gets an answer instead of a reset (see `drain`).
    let spare = listener.try_clone().context("duplicating the listener")?;
    let conns = drain::Connections::default();
    let opened = conns.clone();
    // actix-web's `HttpServer`, spelled out (its `listen`): the same actix-server and
    // actix-http service, with each connection wrapped in `ProblemIo` so the answers the
    // HTTP library writes by itself are problem+json too (see `malformed`).
    let addr = listener
        .local_addr()
        .context("reading the listening address")?;
    let builder = actix_server::Server::build();
    let graceful = builder.graceful_shutdown_signal();
    let header_timeout = cfg.server.header_timeout;
    let server = builder
        .disable_signals()
        .workers(workers)
        .max_concurrent_connections(connections::per_worker(cap, workers))
        .shutdown_timeout(drain.as_secs().max(1))
        .listen("gateway", listener, move || {
            let graceful = graceful.clone();
            let opened = opened.clone();
            let http = HttpService::build()
                .graceful_shutdown_signal(move || {
                    let graceful = graceful.clone();
                    async move { graceful.notified().await }
                })
                .keep_alive(keep_alive)
                .client_request_timeout(header_timeout)
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(addr)
                .on_connect_ext(move |_: &ProblemIo<tokio::net::TcpStream>, ext| {
                    ext.insert(opened.open());
                })
                // `AppConfig::default()`: its host only stands in for a missing `Host`
                // header (HTTP/1.1 requires one), and actix-web keeps the constructor
                // that takes the bound address to itself.
                .finish(map_config(build_app(data.clone()), |()| {
                    AppConfig::default()
                }));
            fn_service(|io: tokio::net::TcpStream| async move {
                let peer = io.peer_addr().ok();
                Ok((ProblemIo::new(io), Protocol::Http1, peer))
            })
            .and_then(http)
        })
        .context("listening")?
        .run();
    let handle = server.handle();
    let pruner = tokio::spawn(ticks::prune_loop(state));
    tokio::pin!(server);
    tokio::select! {
        res = &mut server => { pruner.abort(); return res.context("serving"); }
        () = shutdown => { tracing::info!("shutdown requested; finishing accepted requests"); }
    }
    // The server future processes the commands, so it is driven alongside each.
    tokio::select! {
        res = &mut server => { pruner.abort(); return res.context("serving"); }
        () = handle.pause() => {}
    }
    let refuser = tokio::spawn(drain::refuse(spare));
    let settle = async {
        let deadline = tokio::time::Instant::now() + drain;
        while !conns.settled() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        res = &mut server => { pruner.abort(); refuser.abort(); return res.context("serving"); }
        () = settle => {}
    }
    let (_, served) = tokio::join!(handle.stop(true), &mut server);
    refuser.abort();
    pruner.abort();
    served.context("serving")?;
    tracing::info!("stopped");
    Ok(())
}
