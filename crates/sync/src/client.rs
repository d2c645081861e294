//! The HTTP side: MSRC's public CVRF API, no key, asked with conditional requests.
//!
//! Every request carries the validators the cache holds (`If-None-Match` with the ETag,
//! `If-Modified-Since` with the Last-Modified date), so a document the server has not changed
//! costs a `304` and no body. The client is blocking (`ureq`): a sync is a few dozen sequential
//! requests at most, and a blocking client keeps TLS (rustls with the `ring` provider) and the
//! dependency tree small.
//!
//! Behind a proxy, the standard variables (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) are read.
//! The server's certificate is checked against Mozilla's roots, built in, or against the
//! certificate authorities a PEM file names (a TLS-inspecting proxy's, a mirror's private
//! one), as `curl --cacert` does.

use std::sync::Arc;
use std::time::Duration;

use ureq::Agent;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// Where MSRC serves the API.
pub const DEFAULT_SOURCE: &str = "https://api.msrc.microsoft.com/cvrf/v3.0";

/// The largest body accepted: the biggest documents of 2026 are about 30 MB of XML.
const BODY_LIMIT: u64 = 256 * 1024 * 1024;

/// What a server answered to a conditional request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// `304 Not Modified`: the cached copy is current.
    NotModified,
    /// `200` with a body and the validators to send next time.
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
}

/// The cache validators of a response.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// A request that did not produce a usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status} from {url}")]
    Status { url: String, status: u16 },
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
}

/// A PEM file of certificate authorities that holds none, or cannot be read as PEM.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no usable PEM certificate: {0}")]
pub struct CaError(String);

/// A client of one CVRF API base URL.
#[derive(Clone)]
pub struct MsrcClient {
    base: String,
    agent: Agent,
}

impl MsrcClient {
    /// A client of `base` (such as [`DEFAULT_SOURCE`], or a local mirror over plain http),
    /// checking TLS certificates against Mozilla's roots.
    pub fn new(base: &str) -> MsrcClient {
        MsrcClient::with_roots(base, RootCerts::WebPki)
    }

    /// A client that trusts only the certificate authorities of `ca_pem` (the contents of a
    /// PEM file holding one or more certificates).
    pub fn with_ca_pem(base: &str, ca_pem: &[u8]) -> Result<MsrcClient, CaError> {
        let certs = ureq::tls::parse_pem(ca_pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
                Ok(_) => None,
                Err(e) => Some(Err(CaError(e.to_string()))),
            })
            .collect::<Result<Vec<Certificate<'static>>, CaError>>()?;
        if certs.is_empty() {
            return Err(CaError("the file holds no certificate".into()));
        }
        Ok(MsrcClient::with_roots(
            base,
            RootCerts::Specific(Arc::new(certs)),
        ))
    }

    fn with_roots(base: &str, roots: RootCerts) -> MsrcClient {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_global(Some(Duration::from_secs(300)))
            .user_agent(concat!("kbgap/", env!("CARGO_PKG_VERSION")))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build()
            .into();
        MsrcClient {
            base: base.trim_end_matches('/').to_string(),
            agent,
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET {base}/updates`.
    pub fn updates(&self, known: &Validators) -> Result<Fetch, FetchError> {
        self.get(&format!("{}/updates", self.base), "application/json", known)
    }

    /// `GET {base}/cvrf/{id}` as XML, the form the published feed archives keep.
    pub fn document(&self, id: &str, known: &Validators) -> Result<Fetch, FetchError> {
        self.get(
            &format!("{}/cvrf/{id}", self.base),
            "application/xml",
            known,
        )
    }

    fn get(&self, url: &str, accept: &str, known: &Validators) -> Result<Fetch, FetchError> {
        let transport = |e: ureq::Error| FetchError::Transport {
            url: url.to_string(),
            message: e.to_string(),
        };
        let mut request = self.agent.get(url).header("Accept", accept);
        if let Some(etag) = &known.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(date) = &known.last_modified {
            request = request.header("If-Modified-Since", date);
        }
        let mut response = request.call().map_err(transport)?;
        let status = response.status().as_u16();
        if status == 304 {
            return Ok(Fetch::NotModified);
        }
        if status != 200 {
            return Err(FetchError::Status {
                url: url.to_string(),
                status,
            });
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        let bytes = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
            .map_err(transport)?;
        Ok(Fetch::Body { bytes, validators })
    }
}
