//! Tokens from external identity providers: Entra ID, Keycloak, or any OpenID Connect issuer.
//!
//! An organisation that already signs its users and applications in with Entra ID should not
//! have to register them again with kbgap: the tokens Entra issues for Defender's API are
//! accepted as they are. Each configured issuer is found by OpenID Connect discovery
//! (`<issuer>/.well-known/openid-configuration`, whose `issuer` must equal the configured one
//! exactly) and its signing keys are read from the document's `jwks_uri`.
//!
//! The keys are kept by key id. A token signed by a key id the cache does not hold (the
//! provider rotated its keys) makes the cache fetch the keys again, but at most once per
//! [`OidcConfig::refresh_interval`] per issuer, so a flood of made-up key ids costs the
//! provider one request, not one per token. Keys older than [`OidcConfig::max_key_age`] are
//! fetched again too, so a key the provider withdrew stops verifying. Fetching is blocking
//! ([`Refresh::run`]) and is never done by [`ExternalIssuers::verify`], which only reads the
//! cache: an async caller runs the refresh on a blocking thread.
//!
//! Validation is strict: the token's algorithm must be one of the configured ones (RS256 by
//! default: what Entra ID and Keycloak sign with) *and* match the type of the key its `kid`
//! names, so the header only selects among allowed algorithms and never changes the family
//! (no `none`, no HS256 "signed" with a public key, no ES256 where RS256 is configured). The
//! `iss` must be the issuer exactly, the `aud` one of the configured audiences, and `exp` /
//! `nbf` hold with a minute of leeway.
//!
//! Entra's v1 tokens name the client in `appid`, v2 tokens in `azp`; both carry `tid`, and
//! `roles` (application permissions) or `scp` (delegated ones, space-separated). A delegated
//! token acts for a user, who sees only the machines of their device groups: the groups are
//! read from a configurable claim (`groups` by default) and returned with the principal.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde_json::Value;

use crate::{AuthError, Principal};

/// The claim that lists a user's groups when none is configured (Entra's and Keycloak's).
pub const DEFAULT_GROUP_CLAIM: &str = "groups";

/// The largest discovery document or key set read.
const BODY_LIMIT: u64 = 1024 * 1024;

/// What is trusted, and how often keys are fetched.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Issuers, exactly as their tokens' `iss` and their discovery documents' `issuer` say.
    pub issuers: Vec<String>,
    /// Accepted `aud` values (compared exactly, with and without a trailing slash).
    pub audiences: Vec<String>,
    /// Accepted signature algorithms; asymmetric ones only.
    pub algorithms: Vec<Algorithm>,
    /// The claim holding a delegated caller's groups.
    pub group_claim: String,
    /// The shortest time between two key fetches of one issuer.
    pub refresh_interval: Duration,
    /// Keys fetched longer ago than this are fetched again before use.
    pub max_key_age: Duration,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway: u64,
    /// Timeout of one discovery or key-set request.
    pub timeout: Duration,
}

impl OidcConfig {
    /// A configuration with the default intervals, checked: at least one issuer, each an
    /// `https` URL (plain `http` only on a loopback address, for tests and local providers),
    /// at least one audience, and only asymmetric algorithms.
    pub fn new(
        issuers: Vec<String>,
        audiences: Vec<String>,
        algorithms: Vec<Algorithm>,
        group_claim: &str,
    ) -> Result<OidcConfig, AuthError> {
        if issuers.is_empty() {
            return Err(AuthError::Invalid("no OIDC issuer configured".into()));
        }
        for issuer in &issuers {
            check_url(issuer)?;
        }
        if audiences.is_empty() {
            return Err(AuthError::Invalid("no OIDC audience configured".into()));
        }
        if algorithms.is_empty() {
            return Err(AuthError::Invalid("no OIDC algorithm configured".into()));
        }
        if let Some(alg) = algorithms
            .iter()
            .find(|a| a.family() == AlgorithmFamily::Hmac)
        {
            return Err(AuthError::Invalid(format!(
                "{alg:?} is a shared-secret algorithm: an OIDC provider's tokens are verified with its public keys"
            )));
        }
        if group_claim.trim().is_empty() {
            return Err(AuthError::Invalid("the group claim name is empty".into()));
        }
        let mut accepted = Vec::new();
        for audience in audiences {
            let bare = audience.trim().trim_end_matches('/').to_string();
            for variant in [format!("{bare}/"), bare] {
                if !accepted.contains(&variant) {
                    accepted.push(variant);
                }
            }
        }
        Ok(OidcConfig {
            issuers,
            audiences: accepted,
            algorithms,
            group_claim: group_claim.trim().to_string(),
            refresh_interval: Duration::from_secs(60),
            max_key_age: Duration::from_secs(24 * 3600),
            leeway: 60,
            timeout: Duration::from_secs(10),
        })
    }
}

/// Algorithm names (`RS256,ES256`) as algorithms; `HS*` and `none` are refused.
pub fn parse_algorithms<S: AsRef<str>>(names: &[S]) -> Result<Vec<Algorithm>, AuthError> {
    let mut algorithms = Vec::new();
    for name in names {
        let name = name.as_ref().trim();
        let alg: Algorithm = name
            .parse()
            .map_err(|_| AuthError::Invalid(format!("{name:?} is not a JWS algorithm")))?;
        if alg.family() == AlgorithmFamily::Hmac {
            return Err(AuthError::Invalid(format!(
                "{name} is a shared-secret algorithm, not accepted from an OIDC provider"
            )));
        }
        if !algorithms.contains(&alg) {
            algorithms.push(alg);
        }
    }
    Ok(algorithms)
}

/// `https://...`, or `http://` to a loopback host.
fn check_url(url: &str) -> Result<(), AuthError> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let host = url
        .strip_prefix("http://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .ok_or_else(|| AuthError::Invalid(format!("{url} is not an https URL")))?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let name = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_string()
    };
    let loopback_ip = name
        .parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback());
    if matches!(name.as_str(), "localhost" | "[::1]") || loopback_ip {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "{url} is not an https URL (plain http is accepted only on a loopback address)"
        )))
    }
}

/// The `iss` claim of a token, read without verifying anything: only to choose the
/// verifier, which then checks it.
pub fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_string)
}

/// A caller authenticated by an external provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalPrincipal {
    pub principal: Principal,
    /// The tenant (`tid`), when the token names one.
    pub tenant: Option<String>,
    /// For a delegated token, the groups of the user (an absent claim is no group: the user
    /// then sees no machine); `None` for an application token, which sees every machine.
    pub device_groups: Option<BTreeSet<String>>,
}

/// A failed discovery or key fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("HTTP {status} from {url}")]
    Status { url: String, status: u16 },
    #[error("{url}: {message}")]
    Document { url: String, message: String },
    #[error("discovery document of {configured} names another issuer, {found:?}")]
    IssuerMismatch { configured: String, found: String },
}

/// One verification key of a provider.
struct Key {
    decoding: DecodingKey,
    family: AlgorithmFamily,
    /// For elliptic-curve keys, the curve (it fixes the algorithm: P-256 is ES256).
    curve: Option<EllipticCurve>,
    /// The algorithm the key set pins the key to, when it does.
    alg: Option<Algorithm>,
}

impl Key {
    /// Whether a token signed with `alg` may be verified with this key.
    fn accepts(&self, alg: Algorithm) -> bool {
        if alg.family() != self.family || self.alg.is_some_and(|pinned| pinned != alg) {
            return false;
        }
        match (alg, &self.curve) {
            (Algorithm::ES256, curve) => curve == &Some(EllipticCurve::P256),
            (Algorithm::ES384, curve) => curve == &Some(EllipticCurve::P384),
            (Algorithm::EdDSA, curve) => curve == &Some(EllipticCurve::Ed25519),
            _ => true,
        }
    }

    /// A signing key of a JWKS entry; `None` for encryption keys, shared secrets and key
    /// types this build cannot verify with.
    fn from_jwk(jwk: &Jwk) -> Option<(String, Key)> {
        let kid = jwk.common.key_id.clone()?;
        if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
            return None;
        }
        let (family, curve) = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => (AlgorithmFamily::Rsa, None),
            AlgorithmParameters::EllipticCurve(p) => (AlgorithmFamily::Ec, Some(p.curve.clone())),
            AlgorithmParameters::OctetKeyPair(p) => (AlgorithmFamily::Ed, Some(p.curve.clone())),
            _ => return None,
        };
        let alg = match &jwk.common.key_algorithm {
            Some(pinned) => Some(pinned.to_string().parse::<Algorithm>().ok()?),
            None => None,
        };
        let decoding = DecodingKey::from_jwk(jwk).ok()?;
        Some((
            kid,
            Key {
                decoding,
                family,
                curve,
                alg,
            },
        ))
    }
}

/// An issuer's signing keys by key id, and when they were fetched (`None`: never).
type KeyCache = (Arc<HashMap<String, Key>>, Option<Instant>);

/// The keys of one issuer, and when they were fetched.
struct Provider {
    issuer: String,
    keys: RwLock<KeyCache>,
    /// When a fetch was last started (successful or not): the rate limit.
    last_attempt: Mutex<Option<Instant>>,
}

/// The configured external issuers and their cached keys.
pub struct ExternalIssuers {
    config: OidcConfig,
    providers: Vec<Arc<Provider>>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for ExternalIssuers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalIssuers")
            .field("issuers", &self.config.issuers)
            .field("audiences", &self.config.audiences)
            .field("algorithms", &self.config.algorithms)
            .finish_non_exhaustive()
    }
}

/// A key fetch the rate limit allowed, to be run on a thread that may block.
pub struct Refresh {
    provider: Arc<Provider>,
    agent: ureq::Agent,
}

impl Refresh {
    /// Discovers the issuer again, fetches its key set and replaces the cached keys; returns
    /// how many signing keys it holds. On failure the keys held before stay.
    pub fn run(self) -> Result<usize, DiscoveryError> {
        let keys = fetch_keys(&self.agent, &self.provider.issuer)?;
        let count = keys.len();
        *self
            .provider
            .keys
            .write()
            .unwrap_or_else(|e| e.into_inner()) = (Arc::new(keys), Some(Instant::now()));
        Ok(count)
    }
}

/// GET `url` as JSON.
fn get_json(agent: &ureq::Agent, url: &str) -> Result<Value, DiscoveryError> {
    check_url(url).map_err(|e| DiscoveryError::Document {
        url: url.to_string(),
        message: e.to_string(),
    })?;
    let mut response = agent
        .get(url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| DiscoveryError::Transport {
            url: url.to_string(),
            message: e.to_string(),
        })?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(DiscoveryError::Status {
            url: url.to_string(),
            status,
        });
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_vec()
        .map_err(|e| DiscoveryError::Transport {
            url: url.to_string(),
            message: e.to_string(),
        })?;
    serde_json::from_slice(&bytes).map_err(|e| DiscoveryError::Document {
        url: url.to_string(),
        message: format!("not JSON: {e}"),
    })
}

/// Discovery, then the key set: the usable signing keys by key id.
fn fetch_keys(agent: &ureq::Agent, issuer: &str) -> Result<HashMap<String, Key>, DiscoveryError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let document = get_json(agent, &url)?;
    let found = document.get("issuer").and_then(Value::as_str).unwrap_or("");
    if found != issuer {
        return Err(DiscoveryError::IssuerMismatch {
            configured: issuer.to_string(),
            found: found.to_string(),
        });
    }
    let jwks_uri = document
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or_else(|| DiscoveryError::Document {
            url: url.clone(),
            message: "no jwks_uri".into(),
        })?;
    let jwks = get_json(agent, jwks_uri)?;
    let keys = parse_jwks(&jwks);
    if keys.is_empty() {
        return Err(DiscoveryError::Document {
            url: jwks_uri.to_string(),
            message: "no signing key this server can use".into(),
        });
    }
    Ok(keys)
}

/// The usable signing keys of a JWKS document; entries of other kinds are skipped, so one
/// key of an unknown type does not hide the others.
fn parse_jwks(jwks: &Value) -> HashMap<String, Key> {
    jwks.get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|entry| serde_json::from_value::<Jwk>(entry.clone()).ok())
        .filter_map(|jwk| Key::from_jwk(&jwk))
        .collect()
}

/// Strings of a claim that is an array of strings or one string.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl ExternalIssuers {
    /// Issuers with no keys yet: call [`ExternalIssuers::refresh_all`] at start-up, or let
    /// the first token trigger a fetch.
    pub fn new(config: OidcConfig) -> ExternalIssuers {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .user_agent(concat!("kbgap/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let providers = config
            .issuers
            .iter()
            .map(|issuer| {
                Arc::new(Provider {
                    issuer: issuer.clone(),
                    keys: RwLock::new((Arc::new(HashMap::new()), None)),
                    last_attempt: Mutex::new(None),
                })
            })
            .collect();
        ExternalIssuers {
            config,
            providers,
            agent,
        }
    }

    /// Whether tokens claiming to come from `issuer` are verified here.
    pub fn handles(&self, issuer: &str) -> bool {
        self.provider(issuer).is_some()
    }

    fn provider(&self, issuer: &str) -> Option<&Arc<Provider>> {
        self.providers.iter().find(|p| p.issuer == issuer)
    }

    /// Fetches every issuer's keys now (blocking; at start-up), counting as each issuer's
    /// latest fetch for the rate limit. Returns each issuer with its key count or error.
    pub fn refresh_all(&self) -> Vec<(String, Result<usize, DiscoveryError>)> {
        self.providers
            .iter()
            .map(|provider| {
                *provider
                    .last_attempt
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                let refresh = Refresh {
                    provider: provider.clone(),
                    agent: self.agent.clone(),
                };
                (provider.issuer.clone(), refresh.run())
            })
            .collect()
    }

    /// The fetch `token` calls for, if the rate limit allows one now: its issuer's keys lack
    /// the token's key id, or are older than [`OidcConfig::max_key_age`]. Claiming it starts
    /// the interval, so concurrent callers do not fetch twice.
    pub fn refresh_due(&self, token: &str) -> Option<Refresh> {
        let provider = self.provider(&unverified_issuer(token)?)?;
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        let (keys, fetched) = provider
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let stale = fetched.is_none_or(|at| at.elapsed() >= self.config.max_key_age);
        if keys.contains_key(&kid) && !stale {
            return None;
        }
        let mut last = provider
            .last_attempt
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| at.elapsed() < self.config.refresh_interval) {
            return None;
        }
        *last = Some(Instant::now());
        Some(Refresh {
            provider: provider.clone(),
            agent: self.agent.clone(),
        })
    }

    /// Validates a token against the cached keys (never fetches). An unknown key id is
    /// [`AuthError::UnknownKey`]: [`ExternalIssuers::refresh_due`] then says whether a fetch
    /// may be tried.
    pub fn verify(&self, token: &str) -> Result<ExternalPrincipal, AuthError> {
        let invalid = |m: String| AuthError::Invalid(m);
        let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(e.to_string()))?;
        let issuer =
            unverified_issuer(token).ok_or_else(|| invalid("no issuer in the token".into()))?;
        let provider = self
            .provider(&issuer)
            .ok_or_else(|| invalid(format!("issuer {issuer} is not trusted")))?;
        if !self.config.algorithms.contains(&header.alg) {
            return Err(invalid(format!(
                "algorithm {:?} is not accepted from {issuer}",
                header.alg
            )));
        }
        let kid = header.kid.ok_or_else(|| invalid("no key id".into()))?;
        let keys = provider
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone();
        let key = keys.get(&kid).ok_or(AuthError::UnknownKey(kid.clone()))?;
        if !key.accepts(header.alg) {
            return Err(invalid(format!(
                "key {kid} does not sign with {:?}",
                header.alg
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&provider.issuer]);
        validation.set_audience(&self.config.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway;
        let claims = jsonwebtoken::decode::<Value>(token, &key.decoding, &validation)
            .map_err(|e| invalid(e.to_string()))?
            .claims;
        Ok(self.principal(&claims))
    }

    /// The principal a verified token's claims describe.
    fn principal(&self, claims: &Value) -> ExternalPrincipal {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
        let scopes: BTreeSet<String> = text("scp")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        // A token with `scp` acts for a user, whatever else it carries: it is scoped.
        let delegated = !scopes.is_empty();
        let permissions = if delegated {
            scopes
        } else {
            strings(claims.get("roles")).into_iter().collect()
        };
        let app_id = text("appid")
            .or_else(|| text("azp"))
            .or_else(|| text("client_id"))
            .or_else(|| text("sub"))
            .unwrap_or_default();
        let device_groups = delegated.then(|| {
            strings(claims.get(&self.config.group_claim))
                .into_iter()
                .collect()
        });
        ExternalPrincipal {
            principal: Principal {
                app_id,
                permissions,
                delegated,
                // Validation requires `exp`.
                expires_at: claims.get("exp").and_then(Value::as_u64).unwrap_or(0),
            },
            tenant: text("tid"),
            device_groups,
        }
    }

    #[cfg(test)]
    fn install(&self, issuer: &str, jwks: &Value) {
        let provider = self.provider(issuer).expect("configured issuer");
        *provider.keys.write().unwrap() = (Arc::new(parse_jwks(jwks)), Some(Instant::now()));
    }
}

#[cfg(test)]
mod tests;
