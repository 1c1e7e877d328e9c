//! Problem+json for the answers actix-http's HTTP/1 dispatcher writes by itself.
//!
//! A request head that is not valid HTTP/1.1 (a malformed `Content-Length`, a control
//! byte in a header value, a broken request line), a head over the size limit, or a
//! head that does not arrive within `server.header_timeout` never reaches a service or
//! middleware: the dispatcher answers `400`, `431` or `408` itself, with an empty body,
//! and closes the connection (actix-http 3.20, `h1/dispatcher.rs`, offers no hook). A
//! client then learns nothing of what to fix.
//!
//! [`ProblemIo`] wraps each accepted connection and watches what is written to it. Those
//! three answers are the only responses on this server that end a write with an empty
//! body and `content-length: 0` under one of these statuses: every answer the gateway
//! builds itself carries a problem+json body (see `error.rs`). When a write ends with
//! such a head, the wrapper writes everything before it unchanged and, in its place, the
//! same status as a problem+json saying what to do, then lets the dispatcher close the
//! connection as it meant to. Written here because no crate rewrites a server's own
//! transport-level answers; the head is parsed with `httparse`, the parser actix uses.

use crate::error::{ApiError, ErrorCode, PROBLEM_JSON};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// An accepted connection whose library-made empty error answers become problem+json.
#[derive(Debug)]
pub struct ProblemIo<T> {
    /// The connection.
    inner: T,
    /// A replacement answer still to be written, and how much of it was.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> ProblemIo<T> {
    /// Wraps an accepted connection.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            pending: None,
        }
    }

    /// The connection itself.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: AsyncWrite + Unpin> ProblemIo<T> {
    /// Writes what is left of a replacement answer; ready when none is left.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, done)) = &mut self.pending {
            if *done == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        let Some((start, replacement, code)) = library_answer(buf) else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        if start > 0 {
            // What precedes it (a pipelined answer) goes out unchanged first; the
            // dispatcher calls again with the rest, which still ends with the head.
            return Pin::new(&mut this.inner).poll_write(cx, &buf[..start]);
        }
        // actix-http logs these at ERROR (`stream error: request parse error`) though
        // the client is at fault; this line says what the client was answered (the
        // head itself is never logged: it may hold a key or a phone).
        tracing::info!(
            code = code.as_str(),
            status = code.status().as_u16(),
            "request head refused before routing, answered as problem+json"
        );
        // The dispatcher's head counts as written; the problem goes in its place, now
        // or on the next write, flush or shutdown.
        this.pending = Some((replacement, 0));
        match this.poll_pending(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            _ => Poll::Ready(Ok(buf.len())),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// If `buf` ends with an empty-bodied `400`, `408` or `431` head (the dispatcher's own
/// answers), where it starts, the problem+json answer to write instead and its code.
fn library_answer(buf: &[u8]) -> Option<(usize, Vec<u8>, ErrorCode)> {
    // Cheap first: every answer of ours ends with its body, not a blank line.
    if !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let start = buf.windows(9).rposition(|w| w == b"HTTP/1.1 ")?;
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut head = httparse::Response::new(&mut headers);
    match head.parse(&buf[start..]) {
        Ok(httparse::Status::Complete(n)) if n == buf.len() - start => {}
        _ => return None,
    }
    let error = match head.code? {
        400 => ApiError::new(
            ErrorCode::BadRequest,
            "The request is not valid HTTP/1.1 (its request line or a header could not be \
             parsed: for example a Content-Length that is not a number, or a control \
             character in a header value). Fix the request; this connection is closed.",
        ),
        408 => ApiError::new(
            ErrorCode::RequestTimeout,
            "The request head did not arrive within `server.header_timeout`. Send the \
             whole head at once; this connection is closed.",
        ),
        431 => ApiError::new(
            ErrorCode::HeadersTooLarge,
            "The request head (request line and headers) is too large. Send fewer or \
             shorter headers; this connection is closed.",
        ),
        _ => return None,
    };
    let mut empty = false;
    let mut date = None;
    for h in head.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            empty = h.value == b"0";
        } else if h.name.eq_ignore_ascii_case("content-type")
            || h.name.eq_ignore_ascii_case("transfer-encoding")
        {
            return None;
        } else if h.name.eq_ignore_ascii_case("date") {
            date = std::str::from_utf8(h.value).ok();
        }
    }
    if !empty {
        return None;
    }
    let body = error.body().to_string();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nconnection: close\r\n",
        error.status.as_u16(),
        error.status.canonical_reason().unwrap_or(""),
        body.len()
    );
    if let Some(date) = date {
        out.push_str(&format!("date: {date}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some((start, out.into_bytes(), error.code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    const DISPATCHER_400: &[u8] = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: Mon, 30 Nov 2026 23:00:00 GMT\r\n\r\n";

    fn split(answer: &[u8]) -> (String, serde_json::Value) {
        let text = String::from_utf8(answer.to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_owned(), serde_json::from_str(body).unwrap())
    }

    #[test]
    fn the_dispatchers_empty_answers_become_problems() {
        for (status, code) in [
            (400, "bad_request"),
            (408, "request_timeout"),
            (431, "headers_too_large"),
        ] {
            let head =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let (start, out, logged) = library_answer(head.as_bytes()).unwrap();
            assert_eq!(start, 0);
            assert_eq!(logged.as_str(), code);
            let (head, body) = split(&out);
            assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
            assert!(head.contains("content-type: application/problem+json"));
            assert_eq!(body["status"], status);
            assert_eq!(body["code"], code);
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("connection is closed")
            );
        }
    }

    #[test]
    fn the_gateways_own_answers_pass_unchanged() {
        let problem = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 2\r\n\r\n{}";
        let no_content = b"HTTP/1.1 204 No Content\r\ndate: x\r\n\r\n";
        let empty_200 = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        // A 400 head with a body announced (the body follows in a later write).
        let announced = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 120\r\n\r\n";
        let typed = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n";
        for buf in [
            &problem[..],
            no_content,
            empty_200,
            announced,
            typed,
            b"",
            b"\r\n\r\n",
        ] {
            assert!(
                library_answer(buf).is_none(),
                "{}",
                String::from_utf8_lossy(buf)
            );
        }
    }

    #[test]
    fn a_pipelined_answer_before_it_is_kept() {
        let mut buf = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        let first = buf.len();
        buf.extend_from_slice(DISPATCHER_400);
        assert_eq!(library_answer(&buf).unwrap().0, first);
    }

    /// Through the wrapper, as the dispatcher writes: a pipelined answer, then its own
    /// empty 400, over a pipe that takes a few bytes at a time.
    #[tokio::test]
    async fn the_wrapper_writes_the_answer_before_and_the_problem_in_place() {
        let (client, server) = tokio::io::duplex(7);
        let mut io = ProblemIo::new(server);
        let reader = tokio::spawn(async move {
            let mut client = client;
            let mut out = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut client, &mut out)
                .await
                .unwrap();
            out
        });
        let mut buf = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        buf.extend_from_slice(DISPATCHER_400);
        io.write_all(&buf).await.unwrap();
        io.shutdown().await.unwrap();
        drop(io);
        let out = reader.await.unwrap();
        let text = String::from_utf8(out).unwrap();
        let (ok, rest) = text.split_at(text.find("HTTP/1.1 400").unwrap());
        assert_eq!(ok, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
        let (head, body) = split(rest.as_bytes());
        assert!(
            head.contains("date: Mon, 30 Nov 2026 23:00:00 GMT"),
            "{head}"
        );
        assert!(head.contains(&format!("content-length: {}", body.to_string().len())));
        assert_eq!(body["code"], "bad_request");
    }
}
