//! `kbgap app ...`, `kbgap keys ...` and `kbgap serve --tls-cert --tls-key`, run as a user
//! runs them on a real SQLite file: an application registered on the command line gets a
//! token from the served token endpoint over HTTPS and calls the API with it.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use support::Sandbox;

/// Every byte of the database files (main file and write-ahead log).
fn database_bytes(sandbox: &Sandbox) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(&sandbox.dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("kbgap.db") {
            bytes.extend(std::fs::read(path).unwrap());
        }
    }
    bytes
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn applications_are_added_listed_rotated_and_removed() {
    let sandbox = Sandbox::new("lifecycle");
    let added = json(&sandbox.ok(&[
        "app",
        "add",
        "reader",
        "--roles",
        "software.read.all,Machine.Read.All",
    ]));
    let client = added["clientId"].as_str().unwrap().to_string();
    let secret = added["clientSecret"].as_str().unwrap().to_string();
    assert_eq!(added["tenantId"].as_str().unwrap().len(), 36);
    assert_eq!(client.len(), 36);
    assert!(secret.len() >= 43, "{secret}");

    sandbox.refused(
        &["app", "add", "reader", "--roles", "Software.Read.All"],
        "exists already",
    );
    sandbox.refused(
        &["app", "add", "typo", "--roles", "Sofware.Read.All"],
        "not an application permission",
    );

    let listed = sandbox.ok(&["app", "list", "--json"]);
    let apps: Vec<Value> = listed.lines().map(json).collect();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["clientId"], client.as_str());
    assert_eq!(
        apps[0]["roles"],
        serde_json::json!(["Software.Read.All", "Machine.Read.All"])
    );
    assert!(!listed.contains(&secret));
    assert!(sandbox.ok(&["app", "list"]).contains("reader"));
    let stored = database_bytes(&sandbox);
    assert!(
        !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret itself is never stored"
    );

    let rotated = json(&sandbox.ok(&["app", "rotate-secret", "reader"]));
    assert_eq!(rotated["clientId"], client.as_str());
    assert_ne!(rotated["clientSecret"], secret.as_str());

    sandbox.ok(&["app", "remove", &client]);
    assert_eq!(sandbox.ok(&["app", "list", "--json"]), "");
    sandbox.refused(&["app", "remove", "reader"], "no application");
}

#[test]
fn key_rotation_keeps_the_current_and_the_previous_key() {
    let sandbox = Sandbox::new("keys");
    let kids = |text: String| -> Vec<String> {
        text.lines()
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    let first = kids(sandbox.ok(&["keys", "list"]));
    assert_eq!(first.len(), 1);
    let second = kids(sandbox.ok(&["keys", "rotate"]));
    assert_eq!(second.len(), 2);
    assert_eq!(second[1], first[0], "the previous key stays, second");
    let third = kids(sandbox.ok(&["keys", "rotate"]));
    assert_eq!(third, [third[0].clone(), second[0].clone()]);
    assert!(!third.contains(&first[0]), "the oldest is dropped");
}

/// A CA, and a certificate for 127.0.0.1 it signed with its key, as PEM.
fn test_pki() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose,
        SanType,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let mut server = CertificateParams::new(Vec::<String>::new()).unwrap();
    server
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    let key = KeyPair::generate().unwrap();
    let cert = server.signed_by(&key, &ca).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// One HTTPS request (HTTP/1.1, `Connection: close`) trusting only `ca_pem`.
fn https(address: &str, ca_pem: &str, request: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, TcpStream::connect(address).unwrap());
    tls.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    // The server may close without a TLS close_notify once the response is complete.
    let _ = tls.read_to_end(&mut response);
    String::from_utf8(response).unwrap()
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[test]
fn a_registered_application_gets_a_token_over_https_and_calls_the_api() {
    let sandbox = Sandbox::new("tls");
    let catalog =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../catalog/tests/data/wesng-2020-03-11.zip");
    let fleet = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/fleet-2020-03.json");
    sandbox.ok(&["catalog", "import", catalog.to_str().unwrap()]);
    sandbox.ok(&["ingest", fleet.to_str().unwrap()]);
    let added = json(&sandbox.ok(&["app", "add", "tls", "--roles", "Software.Read.All"]));
    let (ca, cert, key) = test_pki();
    let cert_path = sandbox.dir.join("server.pem");
    let key_path = sandbox.dir.join("server.key");
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();

    sandbox.refused(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            key_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
        "--tls-cert",
    );

    let mut server = sandbox
        .command()
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("serving the API") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "server exited");
    }
    let address = line.trim().rsplit("https://").next().unwrap().to_string();
    let tenant = added["tenantId"].as_str().unwrap();
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&resource=https%3A%2F%2Fapi.securitycenter.microsoft.com",
        added["clientId"].as_str().unwrap(),
        added["clientSecret"].as_str().unwrap()
    );
    let token_response = https(
        &address,
        &ca,
        &format!(
            "POST /{tenant}/oauth2/token HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    let api = token_response
        .starts_with("HTTP/1.1 200")
        .then(|| {
            let token = json(body(&token_response))["access_token"]
                .as_str()
                .unwrap()
                .to_string();
            https(
                &address,
                &ca,
                &format!(
                    "GET /api/Software/microsoft-_-edge/getmissingkbs HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
                ),
            )
        });
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        token_response.starts_with("HTTP/1.1 200"),
        "{token_response}"
    );
    let api = api.unwrap();
    assert!(api.starts_with("HTTP/1.1 200"), "{api}");
    let answer = json(body(&api));
    assert_eq!(answer["value"][0]["id"], "4540673");
    assert!(
        answer["@odata.context"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://{address}/api/")),
        "{answer}"
    );
}
