//! Real Microsoft client libraries against the real server: the API served over TLS on a
//! loopback socket (a CA and a server certificate made by the test), an application
//! registered in a real SQLite file, and Python's `msal` (ConfidentialClientApplication),
//! `azure-identity` (ClientSecretCredential) and a plain v1 `resource` form POST getting a
//! token from kbgap and calling `GET /api/Software/{id}/getmissingkbs`.
//!
//! Needs `python3` with `msal` and `azure-identity` (`.ci/run` installs them); without them
//! the test fails saying so, unless `KBGAP_SKIP_PYTHON_CLIENTS=1` skips it on purpose.

mod idp;
#[path = "../../sync/tests/support/pki.rs"]
mod pki;

use std::path::Path;
use std::process::Command;

use idp::{idp, register};
use pki::{TestPki, test_pki};
use serde_json::Value;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/clients/get_missing_kbs.py"
);

fn python_ready() -> Result<(), String> {
    let probe = Command::new("python3")
        .args(["-c", "import msal, azure.identity, requests"])
        .output()
        .map_err(|e| format!("python3 cannot be run ({e})"))?;
    if !probe.status.success() {
        return Err(format!(
            "python3 lacks msal / azure-identity: {}",
            String::from_utf8_lossy(&probe.stderr).trim()
        ));
    }
    Ok(())
}

fn run_client(mode: &str, args: &[String], ca: &Path) -> Value {
    let output = Command::new("python3")
        .arg(SCRIPT)
        .arg(mode)
        .args(args)
        .env("REQUESTS_CA_BUNDLE", ca)
        .env("SSL_CERT_FILE", ca)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{mode}: the client failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{mode}: not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msal_and_azure_identity_get_tokens_and_call_getmissingkbs_over_tls() {
    if std::env::var("KBGAP_SKIP_PYTHON_CLIENTS").as_deref() == Ok("1") {
        eprintln!("KBGAP_SKIP_PYTHON_CLIENTS=1: the Python client test is skipped");
        return;
    }
    if let Err(why) = python_ready() {
        panic!(
            "{why}\nInstall them (pip install msal azure-identity) or set \
             KBGAP_SKIP_PYTHON_CLIENTS=1 to skip this test on purpose."
        );
    }
    let idp = idp("clients", true).await;
    let (client, secret) = register(&idp.store, "python", &["Software.Read.All"]).await;
    let TestPki {
        ca_pem,
        cert_pem,
        key_pem,
    } = test_pki();
    let ca = idp.dir.join("ca.pem");
    std::fs::write(&ca, &ca_pem).unwrap();
    let config = kbgap_api::tls_config(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kbgap_api::serve_tls(
        listener,
        kbgap_api::router(idp.state.clone()),
        config,
        async {
            let _ = stopped.await;
        },
    ));
    let args = vec![
        base.clone(),
        idp.tenant(),
        client.clone(),
        secret,
        "microsoft-_-edge".to_string(),
    ];
    for mode in ["msal", "azure-identity", "v1"] {
        let (args, ca) = (args.clone(), ca.clone());
        let answer = tokio::task::spawn_blocking(move || run_client(mode, &args, &ca))
            .await
            .unwrap();
        assert_eq!(answer["status"], 200, "{mode}: {answer}");
        assert_eq!(answer["body"]["value"][0]["id"], "4540673", "{mode}");
        assert_eq!(
            answer["body"]["@odata.context"]
                .as_str()
                .unwrap()
                .split("/api/")
                .next(),
            Some(base.as_str()),
            "{mode}: URLs say https"
        );
        assert_eq!(answer["claims"]["appid"], client, "{mode}");
        assert_eq!(
            answer["claims"]["aud"], "https://api.securitycenter.microsoft.com",
            "{mode}"
        );
        assert_eq!(answer["claims"]["tid"], idp.tenant(), "{mode}");
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
