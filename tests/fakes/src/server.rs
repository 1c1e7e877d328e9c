//! What the three fakes share: an actix-web server on `127.0.0.1:0` on its own thread
//! and actix System (so it works under any test runtime, or none), the fake's state
//! behind a mutex, a log of requests and violations, and replies that may be held back
//! to simulate a stalling provider. A fake is a `State` type and one synchronous
//! function from (state, log, request) to [`Reply`].

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// One request as it reached the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// HTTP method, upper case.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The query string, without `?` (`""` if none).
    pub query: String,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Incoming {
    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A JSON-speaking provider's request as the fake recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRequest {
    /// Request path.
    pub path: String,
    /// `Authorization` header.
    pub authorization: Option<String>,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// Body as JSON (`Null` if it was not JSON).
    pub body: serde_json::Value,
}

impl From<&Incoming> for JsonRequest {
    fn from(r: &Incoming) -> Self {
        Self {
            path: r.path.clone(),
            authorization: r.header("authorization").map(str::to_owned),
            content_type: r.header("content-type").map(str::to_owned),
            body: serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// What the fake answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers, `content-type` included.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Hold the answer back this long first (a stalling provider).
    pub delay: Option<Duration>,
}

impl Reply {
    /// A JSON answer (`application/json`).
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            delay: None,
        }
    }

    /// The same answer with one more header (or `content-type` replaced).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same answer, given only after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// Every request a fake received and every violation it saw, in order.
#[derive(Debug)]
pub struct Log<R> {
    requests: Vec<R>,
    violations: Vec<String>,
}

impl<R> Default for Log<R> {
    fn default() -> Self {
        Self {
            requests: Vec::new(),
            violations: Vec::new(),
        }
    }
}

impl<R: Clone> Log<R> {
    /// Records a request.
    pub fn record(&mut self, request: R) {
        self.requests.push(request);
    }

    /// Records that `request` broke the protocol: `"{method} {path}: {what}"`.
    pub fn violation(&mut self, request: &Incoming, what: &str) {
        self.violations
            .push(format!("{} {}: {what}", request.method, request.path));
    }

    /// How many requests arrived so far.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether no request arrived yet.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }
}

/// Answers one request from the fake's state.
pub type Process<S, R> = fn(&mut S, &mut Log<R>, &Incoming) -> Reply;

struct Shared<S, R> {
    inner: Mutex<(S, Log<R>)>,
    process: Process<S, R>,
}

/// A running fake server; dropping it stops the server.
pub struct FakeServer<S, R> {
    /// `http://127.0.0.1:{port}`.
    pub base_url: String,
    shared: Arc<Shared<S, R>>,
    handle: ServerHandle,
}

impl<S, R> std::fmt::Debug for FakeServer<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl<S: Send + 'static, R: Clone + Send + 'static> FakeServer<S, R> {
    /// Starts `process` over `state` on `127.0.0.1:0` in a thread named `fake-{name}`;
    /// returns once the server listens.
    pub fn start(name: &str, state: S, process: Process<S, R>) -> Self {
        Self::start_on(name, ([127, 0, 0, 1], 0).into(), state, process)
    }

    /// [`Self::start`] on a given address (a fixed port, for a fake run by hand).
    /// Panics if the address cannot be bound.
    pub fn start_on(
        name: &str,
        addr: std::net::SocketAddr,
        state: S,
        process: Process<S, R>,
    ) -> Self {
        let shared = Arc::new(Shared {
            inner: Mutex::new((state, Log::default())),
            process,
        });
        let data = web::Data::from(Arc::clone(&shared));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name(format!("fake-{name}"))
            .spawn(move || {
                actix_rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .default_service(web::to(handle::<S, R>))
                    })
                    .workers(2)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .bind(addr)
                    .unwrap_or_else(|e| panic!("a fake cannot bind {addr}: {e}"));
                    let addr = server.addrs()[0];
                    let running = server.run();
                    let _ = tx.send((addr, running.handle()));
                    let _ = running.await;
                });
            })
            .expect("spawn the fake's thread");
        let (addr, handle) = rx.recv().expect("the fake reports its address");
        Self {
            base_url: format!("http://{addr}"),
            shared,
            handle,
        }
    }

    /// The fake's state and log, locked.
    pub fn lock(&self) -> MutexGuard<'_, (S, Log<R>)> {
        self.shared
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<R> {
        self.lock().1.requests.clone()
    }

    /// Every protocol violation seen so far; empty when the client spoke correctly.
    pub fn violations(&self) -> Vec<String> {
        self.lock().1.violations.clone()
    }
}

impl<S, R> Drop for FakeServer<S, R> {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only awaits completion.
        drop(self.handle.stop(false));
    }
}

async fn handle<S: 'static, R: 'static>(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared<S, R>>,
) -> HttpResponse {
    let incoming = Incoming {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        headers: req
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: body.to_vec(),
    };
    let reply = {
        let mut guard = shared.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (state, log) = &mut *guard;
        (shared.process)(state, log, &incoming)
    };
    if let Some(delay) = reply.delay {
        actix_rt::time::sleep(delay).await;
    }
    let status = actix_web::http::StatusCode::from_u16(reply.status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (k, v) in &reply.headers {
        response.insert_header((k.as_str(), v.as_str()));
    }
    response.body(reply.body)
}
