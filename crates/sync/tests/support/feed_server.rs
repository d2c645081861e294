//! A local stand-in for MSRC's CVRF API, for tests: a real axum server on `127.0.0.1:0`
//! serving `/cvrf/v3.0/updates` and `/cvrf/v3.0/cvrf/{id}` from memory, with ETag and
//! Last-Modified validators, `304 Not Modified` for a matching conditional request, a way to
//! make a document answer with an error status, and a log of every request's conditional
//! headers. Shared by the sync crate's tests and the CLI's (`#[path]`).

#![allow(dead_code)] // Each including test uses a different part.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;

/// What a document path answers.
#[derive(Debug, Clone)]
pub enum Served {
    /// 200 with this body (and validators derived from it), or 304 when they match.
    Body {
        bytes: Vec<u8>,
        etag: String,
        last_modified: String,
    },
    /// This status, no body.
    Status(u16),
}

/// One request the server saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub path: String,
    pub accept: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub status: u16,
}

#[derive(Default)]
struct Feed {
    index: Option<Served>,
    documents: HashMap<String, Served>,
    requests: Vec<Seen>,
    version: u32,
}

pub struct FeedServer {
    base: String,
    feed: Arc<Mutex<Feed>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FeedServer {
    /// Starts a server on a free loopback port, serving nothing yet.
    pub fn start() -> FeedServer {
        FeedServer::start_with(None)
    }

    /// The same over HTTPS, presenting `cert_pem` (signed by a test CA) with `key_pem`.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> FeedServer {
        let config = kbgap_api::tls_config(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap();
        FeedServer::start_with(Some(config))
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> FeedServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{}/cvrf/v3.0", listener.local_addr().unwrap());
        let feed = Arc::new(Mutex::new(Feed::default()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = feed.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
                    let feed = served.clone();
                    async move { answer(&feed, &uri, &headers) }
                });
                let stop = async {
                    let _ = rx.await;
                };
                match tls {
                    Some(config) => kbgap_api::serve_tls(listener, app, config, stop)
                        .await
                        .unwrap(),
                    None => axum::serve(listener, app)
                        .with_graceful_shutdown(stop)
                        .await
                        .unwrap(),
                }
            });
        });
        FeedServer {
            base,
            feed,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// The API base URL (`http://127.0.0.1:PORT/cvrf/v3.0`, or `https://`).
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn set_index(&self, bytes: Vec<u8>) {
        let mut feed = self.feed.lock().unwrap();
        let served = feed.body(bytes);
        feed.index = Some(served);
    }

    pub fn set_document(&self, id: &str, bytes: Vec<u8>) {
        let mut feed = self.feed.lock().unwrap();
        let served = feed.body(bytes);
        feed.documents.insert(id.to_string(), served);
    }

    pub fn set_status(&self, id: &str, status: u16) {
        let mut feed = self.feed.lock().unwrap();
        feed.documents
            .insert(id.to_string(), Served::Status(status));
    }

    /// The requests seen so far, and forgets them.
    pub fn take_requests(&self) -> Vec<Seen> {
        std::mem::take(&mut self.feed.lock().unwrap().requests)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Feed {
    /// A body with validators: an ETag from its hash and a Last-Modified that moves with every
    /// new body the test sets.
    fn body(&mut self, bytes: Vec<u8>) -> Served {
        self.version += 1;
        let etag = format!("\"{}\"", &kbgap_sync::sha256_hex(&bytes)[..16]);
        let last_modified = format!(
            "Thu, 01 Jan 2026 {:02}:{:02}:00 GMT",
            self.version / 60,
            self.version % 60
        );
        Served::Body {
            bytes,
            etag,
            last_modified,
        }
    }
}

fn answer(feed: &Mutex<Feed>, uri: &Uri, headers: &HeaderMap) -> Response {
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut feed = feed.lock().unwrap();
    let path = uri.path().to_string();
    let served = if path == "/cvrf/v3.0/updates" {
        feed.index.clone()
    } else {
        path.strip_prefix("/cvrf/v3.0/cvrf/")
            .and_then(|id| feed.documents.get(id).cloned())
    };
    let if_none_match = header_text(header::IF_NONE_MATCH);
    let if_modified_since = header_text(header::IF_MODIFIED_SINCE);
    let response = match served {
        None => status_only(404),
        Some(Served::Status(code)) => status_only(code),
        Some(Served::Body {
            bytes,
            etag,
            last_modified,
        }) => {
            let fresh = match (&if_none_match, &if_modified_since) {
                (Some(tag), _) => *tag == etag,
                (None, Some(date)) => *date == last_modified,
                (None, None) => false,
            };
            let builder = Response::builder()
                .header(header::ETAG, etag)
                .header(header::LAST_MODIFIED, last_modified);
            if fresh {
                builder
                    .status(StatusCode::NOT_MODIFIED)
                    .body(Body::empty())
                    .unwrap()
            } else {
                builder
                    .status(StatusCode::OK)
                    .body(Body::from(bytes))
                    .unwrap()
            }
        }
    };
    feed.requests.push(Seen {
        path,
        accept: header_text(header::ACCEPT),
        if_none_match,
        if_modified_since,
        status: response.status().as_u16(),
    });
    response
}

fn status_only(code: u16) -> Response {
    Response::builder()
        .status(code)
        .body(Body::empty())
        .unwrap()
}

/// A shipped document, decompressed (the API serves plain XML).
pub fn document(dir: &Path, file: &str) -> Vec<u8> {
    let compressed = std::fs::read(dir.join(file)).unwrap();
    let mut xml = Vec::new();
    ruzstd::decoding::StreamingDecoder::new(compressed.as_slice())
        .unwrap()
        .read_to_end(&mut xml)
        .unwrap();
    xml
}

/// The document as MSRC has served months for hours after a release: valid CVRF, the same
/// header and product tree, no vulnerability (every `<vuln:Vulnerability>` element removed).
pub fn emptied(xml: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(xml).unwrap();
    let first = text.find("<vuln:Vulnerability").expect("a vulnerability");
    let last = text.rfind("</vuln:Vulnerability>").unwrap() + "</vuln:Vulnerability>".len();
    let mut out = text[..first].to_string();
    out.push_str(&text[last..]);
    out.into_bytes()
}

/// The document without its last vulnerability that has remediations, as a revision that
/// lost one would be.
pub fn shortened(xml: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(xml).unwrap();
    let close = "</vuln:Vulnerability>";
    let mut end = text.len();
    loop {
        let stop = text[..end]
            .rfind(close)
            .expect("a remediated vulnerability")
            + close.len();
        let start = text[..stop].rfind("<vuln:Vulnerability").unwrap();
        if text[start..stop].contains("<vuln:Remediations>") {
            let mut out = text[..start].to_string();
            out.push_str(&text[stop..]);
            return out.into_bytes();
        }
        end = start;
    }
}

/// The document cut in the middle, as a dropped connection leaves it.
pub fn truncated(xml: &[u8]) -> Vec<u8> {
    xml[..xml.len() / 2].to_vec()
}

/// The shipped `/updates` list with one document's `CurrentReleaseDate` replaced.
pub fn index_with_date(index: &[u8], id: &str, date: &str) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(index).unwrap();
    let entry = value["value"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["ID"] == id)
        .expect("listed");
    entry["CurrentReleaseDate"] = date.into();
    serde_json::to_vec(&value).unwrap()
}
