//! A minimal HTTP/1.1 client over one keep-alive TCP connection, enough to drive kbgap's API:
//! GET only, `Content-Length` or chunked bodies, loopback addresses only.

use std::io::{Error, ErrorKind, Result};
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One answer.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The server will close the connection after this answer.
    pub close: bool,
}

/// One keep-alive connection.
pub struct Connection {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidData, message.into())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Connection {
    /// Connects to `addr`, which must be a loopback address: this client never talks to
    /// anything but the machine it runs on.
    pub async fn connect(addr: SocketAddr) -> Result<Connection> {
        if !addr.ip().is_loopback() {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!("{addr} is not a loopback address"),
            ));
        }
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends `GET path` (with a bearer token when given) and reads the whole answer.
    pub async fn get(&mut self, path: &str, token: Option<&str>) -> Result<Response> {
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(token) = token {
            request.push_str("Authorization: Bearer ");
            request.push_str(token);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        self.stream.write_all(request.as_bytes()).await?;
        self.read_response().await
    }

    /// Reads until `buf` holds at least `n` bytes.
    async fn fill(&mut self, n: usize) -> Result<()> {
        while self.buf.len() < n {
            self.buf.reserve(n - self.buf.len());
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(Error::new(ErrorKind::UnexpectedEof, "connection closed"));
            }
        }
        Ok(())
    }

    /// Reads until `needle` occurs in `buf` at or after `from`; returns its position.
    async fn fill_until(&mut self, from: usize, needle: &[u8]) -> Result<usize> {
        loop {
            if let Some(at) = self.buf.get(from..).and_then(|rest| find(rest, needle)) {
                return Ok(from + at);
            }
            let want = self.buf.len() + 1;
            self.fill(want).await?;
        }
    }

    async fn read_response(&mut self) -> Result<Response> {
        let head_end = self.fill_until(0, b"\r\n\r\n").await? + 4;
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| invalid("response head is not UTF-8"))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
        let mut length = None;
        let mut chunked = false;
        let mut close = status_line.starts_with("HTTP/1.0");
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| invalid("bad Content-Length"))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        let body = if chunked {
            self.read_chunked(head_end).await?
        } else if let Some(n) = length {
            self.fill(head_end + n).await?;
            let body = self.buf[head_end..head_end + n].to_vec();
            self.buf.drain(..head_end + n);
            body
        } else {
            return Err(invalid("response without Content-Length or chunked body"));
        };
        Ok(Response {
            status,
            body,
            close,
        })
    }

    /// A chunked body starting at `start`; consumes it (and the trailers) from `buf`.
    async fn read_chunked(&mut self, start: usize) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut at = start;
        loop {
            let line_end = self.fill_until(at, b"\r\n").await?;
            let size_text = std::str::from_utf8(&self.buf[at..line_end])
                .map_err(|_| invalid("bad chunk size"))?;
            let size_text = size_text.split(';').next().unwrap_or_default().trim();
            let size =
                usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
            at = line_end + 2;
            if size == 0 {
                // Trailers, then an empty line.
                loop {
                    let end = self.fill_until(at, b"\r\n").await?;
                    let empty = end == at;
                    at = end + 2;
                    if empty {
                        break;
                    }
                }
                self.buf.drain(..at);
                return Ok(body);
            }
            self.fill(at + size + 2).await?;
            body.extend_from_slice(&self.buf[at..at + size]);
            at += size + 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// Serves canned bytes once and checks that both bodies of a keep-alive exchange are read.
    #[tokio::test]
    async fn reads_length_and_chunked_bodies() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while find(&seen, b"\r\n\r\n").is_none() {
                let n = socket.read(&mut buf).await.unwrap();
                seen.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await
                .unwrap();
            seen.clear();
            while find(&seen, b"\r\n\r\n").is_none() {
                let n = socket.read(&mut buf).await.unwrap();
                seen.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
                .await
                .unwrap();
        });
        let mut connection = Connection::connect(addr).await.unwrap();
        let first = connection.get("/healthz", None).await.unwrap();
        assert_eq!((first.status, first.body.as_slice()), (200, &b"ok"[..]));
        let second = connection.get("/x", Some("t")).await.unwrap();
        assert_eq!(
            (second.status, second.body.as_slice()),
            (404, &b"abcde"[..])
        );
        server.await.unwrap();
    }

    #[tokio::test]
    async fn refuses_other_addresses() {
        let error = Connection::connect("192.0.2.1:80".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    }
}
