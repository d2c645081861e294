//! `kbgap serve --oidc-issuer`: the binary, configured through its environment names as an
//! operator would, accepts the tokens of a Keycloak-style provider served on a loopback socket
//! (discovery document and key set), and refuses unsafe settings before it listens.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

const KBGAP: &str = env!("CARGO_BIN_EXE_kbgap");
const KEY: &str = include_str!("../../auth/tests/data/oidc-rsa-1.pem");

fn sandbox(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kbgap-cli-oidc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn kbgap(dir: &std::path::Path) -> Command {
    let mut command = Command::new(KBGAP);
    command
        .arg("--db")
        .arg(format!("sqlite://{}", dir.join("kbgap.db").display()))
        .env_remove("KBGAP_DB")
        .env_remove("KBGAP_OIDC_ISSUER")
        .env_remove("KBGAP_OIDC_AUDIENCE");
    command
}

/// A provider answering discovery and its key set on a thread; returns its issuer.
fn provider() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}/realms/kbgap", listener.local_addr().unwrap());
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY).unwrap();
    let jwks = json!({ "keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "realm-key",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    }]});
    let discovery = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
    });
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut line).unwrap();
            while reader.read_line(&mut String::new()).unwrap() > 2 {}
            let body = if line.contains("openid-configuration") {
                discovery.to_string()
            } else {
                jwks.to_string()
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    issuer
}

fn token(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("realm-key".into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap(),
    )
    .unwrap()
}

#[test]
fn serve_accepts_the_tokens_of_a_configured_issuer() {
    let dir = sandbox("serve");
    let issuer = provider();
    let mut server = kbgap(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("KBGAP_OIDC_ISSUER", &issuer)
        .env("KBGAP_OIDC_AUDIENCE", "kbgap-api")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut lines = Vec::new();
    let address = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "{lines:?}");
        if let Some(address) = line.trim().rsplit_once("serving the API on http://") {
            break address.1.to_string();
        }
        lines.push(line);
    };
    let get = |token: &str| {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        write!(stream, "GET /api/machines HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = |aud: &str| {
        json!({ "iss": issuer, "aud": aud, "azp": "reporting", "sub": "s",
                "roles": ["Machine.Read.All"], "iat": now, "nbf": now, "exp": now + 300 })
    };
    let accepted = get(&token(&claims("kbgap-api")));
    let other_audience = get(&token(&claims("https://api.securitycenter.microsoft.com")));
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("accepting tokens of {issuer} (1 signing keys)"))),
        "{lines:?}"
    );
    assert!(accepted.starts_with("HTTP/1.1 200"), "{accepted}");
    assert!(
        other_audience.starts_with("HTTP/1.1 401"),
        "{other_audience}"
    );
}

#[test]
fn unsafe_provider_settings_are_refused_before_listening() {
    let dir = sandbox("refused");
    for (args, problem) in [
        (
            vec![
                "--oidc-issuer",
                "https://login.example.test/t/v2.0",
                "--oidc-algorithms",
                "RS256,HS256",
            ],
            "shared-secret algorithm",
        ),
        (
            vec!["--oidc-issuer", "http://login.example.test/t/v2.0"],
            "not an https URL",
        ),
    ] {
        let out = kbgap(&dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(stderr.contains(problem), "{args:?}: {stderr}");
        assert!(!stderr.contains("serving the API"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
