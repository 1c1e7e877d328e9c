//! Shutdown without dropping requests: stop accepting, finish what was accepted, exit.
//!
//! actix's graceful stop closes every connection that has no request in progress,
//! including ones accepted a moment ago whose request is sitting unread in the socket,
//! and closing the listener resets the connections still in the kernel's backlog: a
//! burst of requests at SIGTERM got resets and empty answers. So shutdown runs in steps:
//!
//! 1. actix stops accepting (`pause`), but the listening socket stays open;
//! 2. connections waiting in the backlog are taken by [`refuse`], which answers each
//!    `503 shutting_down` with `Retry-After` (nothing of it was started, so a retry
//!    elsewhere is safe) instead of a reset;
//! 3. shutdown waits until every open connection is idle between requests
//!    ([`Connections::settled`]): each accepted request is served, the ones still
//!    unread included;
//! 4. then actix's graceful stop closes the idle connections and exits.

use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use crate::http::busy::{Busy, Conn, Connections};

/// The answer to a connection taken from the backlog during shutdown, as raw HTTP.
fn shutting_down() -> Vec<u8> {
    let body = crate::error::ApiError::new(
        crate::error::ErrorCode::ShuttingDown,
        "This gateway is shutting down and did not start the request; retry it.",
    )
    .with("retry_after", 1)
    .body()
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {}\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        crate::error::PROBLEM_JSON,
        body.len()
    )
    .into_bytes()
}

/// Answers every connection accepted on `listener` with `503 shutting_down`, reading
/// its request first (closing with unread data would reset it, and the client would
/// lose the answer). Runs until dropped.
pub async fn refuse(listener: std::net::TcpListener) {
    let listener = match listener
        .set_nonblocking(true)
        .and_then(|()| tokio::net::TcpListener::from_std(listener))
    {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "cannot answer connections during shutdown");
            return;
        }
    };
    let answer: Arc<[u8]> = shutting_down().into();
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            let mut seen = Vec::new();
            let read_request = async {
                while !request_complete(&seen) {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) if seen.len() < 256 * 1024 => seen.extend_from_slice(&buf[..n]),
                        Ok(_) => break,
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(1), read_request).await;
            let _ = stream.write_all(&answer).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// Whether `seen` holds a whole request: the head and `Content-Length` bytes of body.
fn request_complete(seen: &[u8]) -> bool {
    let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
    let body_len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    seen.len() >= end + 4 + body_len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_settle_when_idle_or_closed() {
        let all = Connections::default();
        let a = all.open();
        let b = all.open();
        assert!(!all.settled(), "accepted, nothing read yet");
        let busy = a.busy();
        drop(busy);
        assert!(!all.settled(), "b has not been served");
        drop(b);
        assert!(all.settled(), "a idle, b closed");
        let again = a.busy();
        assert!(!all.settled());
        drop(again);
        drop(a);
        assert!(all.settled());
    }

    #[test]
    fn the_shutdown_answer_is_complete_problem_json() {
        let answer = String::from_utf8(shutting_down()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["code"], "shutting_down");
        assert!(request_complete(b"GET / HTTP/1.1\r\n\r\n"));
        assert!(!request_complete(
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab"
        ));
        assert!(request_complete(
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
        ));
    }
}
