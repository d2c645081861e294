//! Permissions per endpoint, as Defender documents them (mde-api.md §1-4), over a real
//! socket: each endpoint with the right permission (application and delegated), with a wrong
//! one, and with no token, gives 200, 403 with Defender's "Missing application roles" body,
//! and 401. The table here is written from Defender's documentation, independently of the
//! server's route table; the test also checks that it covers every path `openapi.json` lists.

mod support;

use std::collections::BTreeSet;

use support::TestServer;

/// (path template, accepted permissions in the server's message order, a wrong permission)
const DOCUMENTED: &[(&str, &[&str], &str)] = &[
    ("/api/Software", SOFTWARE, "Machine.Read.All"),
    ("/api/Software/{id}", SOFTWARE, "Machine.Read.All"),
    (
        "/api/Software/{id}/getmissingkbs",
        SOFTWARE,
        "Vulnerability.Read.All",
    ),
    (
        "/api/Software/{id}/distributions",
        SOFTWARE,
        "Machine.Read.All",
    ),
    (
        "/api/Software/{id}/machineReferences",
        SOFTWARE,
        "Machine.Read.All",
    ),
    (
        "/api/Software/{id}/vulnerabilities",
        VULNERABILITY,
        "Software.Read.All",
    ),
    ("/api/machines", MACHINE, "Software.Read.All"),
    ("/api/machines/{id}", MACHINE, "Software.Read.All"),
    ("/api/machines/{id}/software", SOFTWARE, "Machine.Read.All"),
    (
        "/api/machines/{id}/vulnerabilities",
        VULNERABILITY,
        "Machine.Read.All",
    ),
    (
        "/api/machines/{id}/getmissingkbs",
        SOFTWARE,
        "Machine.Read.All",
    ),
    (
        "/api/machines/{id}/getmissingkbs/{kb}/explain",
        SOFTWARE,
        "Machine.Read.All",
    ),
    ("/api/vulnerabilities", VULNERABILITY, "Software.Read.All"),
    (
        "/api/vulnerabilities/{id}",
        VULNERABILITY,
        "Machine.Read.All",
    ),
    (
        "/api/vulnerabilities/{id}/machineReferences",
        VULNERABILITY,
        "Machine.Read.All",
    ),
];
const SOFTWARE: &[&str] = &["Software.Read.All", "Software.Read"];
const MACHINE: &[&str] = &["Machine.Read.All", "Machine.Read"];
const VULNERABILITY: &[&str] = &["Vulnerability.Read.All", "Vulnerability.Read"];
/// The service documents, readable without a token.
const PUBLIC: &[&str] = &["/api/$metadata", "/api/openapi.json"];

#[tokio::test]
async fn every_endpoint_requires_defenders_permission() {
    let server = TestServer::start("permissions").await;
    for (template, accepted, wrong) in DOCUMENTED {
        let path = server.fill(template).await;
        let application = server.token(&[accepted[0]]);
        let answer = server.get(&path, Some(&application)).await;
        assert_eq!(
            answer.status, 200,
            "{path} with {}: {}",
            accepted[0], answer.body
        );
        let delegated = server.delegated_token(&[accepted[1]]);
        let answer = server.get(&path, Some(&delegated)).await;
        assert_eq!(answer.status, 200, "{path} with scp {}", accepted[1]);

        let answer = server.get(&path, Some(&server.token(&[wrong]))).await;
        assert_eq!(answer.status, 403, "{path} with {wrong}");
        let body = answer.json();
        assert_eq!(body["error"]["code"], "Forbidden");
        assert_eq!(
            body["error"]["message"],
            format!(
                "Missing application roles. API required roles: {}",
                accepted.join(", ")
            )
        );
        assert_eq!(
            body["error"]["target"].as_str(),
            answer.header("request-id")
        );

        let answer = server.get(&path, None).await;
        assert_eq!(answer.status, 401, "{path} without a token");
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
        assert_eq!(answer.json()["error"]["code"], "Unauthorized");
    }
    for path in PUBLIC {
        assert_eq!(server.get(path, None).await.status, 200, "{path}");
    }
}

#[tokio::test]
async fn read_write_implies_read() {
    let server = TestServer::start("readwrite").await;
    let token = server.token(&["Machine.ReadWrite.All"]);
    assert_eq!(server.get("/api/machines", Some(&token)).await.status, 200);
    let token = server.delegated_token(&["Machine.ReadWrite"]);
    assert_eq!(server.get("/api/machines", Some(&token)).await.status, 200);
}

/// The one written resource, and who may write (application, then delegated).
const UPLOAD: &str = "/api/inventory";
const WRITE: &[&str] = &["Machine.ReadWrite.All", "Machine.ReadWrite"];

#[tokio::test]
async fn uploads_need_a_write_permission() {
    let server = TestServer::start("upload").await;
    let inventory = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../demo/fleet-2020-03.json"
    ))
    .unwrap();
    let reader = server.token(&["Machine.Read.All"]);
    let refused = server.send("POST", UPLOAD, Some(&reader), &inventory).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json()["error"]["message"],
        format!(
            "Missing application roles. API required roles: {}",
            WRITE.join(", ")
        )
    );
    assert_eq!(
        server.send("POST", UPLOAD, None, &inventory).await.status,
        401
    );
    for token in [
        server.token(&[WRITE[0]]),
        server.delegated_token(&[WRITE[1]]),
    ] {
        let stored = server.send("POST", UPLOAD, Some(&token), &inventory).await;
        assert_eq!(stored.status, 200, "{}", stored.body);
    }
}

#[tokio::test]
async fn the_table_covers_every_documented_path() {
    let server = TestServer::start("coverage").await;
    let document = server.get("/api/openapi.json", None).await.json();
    let listed: BTreeSet<&str> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let tested: BTreeSet<&str> = DOCUMENTED
        .iter()
        .map(|(p, _, _)| *p)
        .chain(PUBLIC.iter().copied())
        .chain([UPLOAD])
        .collect();
    assert_eq!(listed, tested);
    let upload = document["paths"][UPLOAD]["post"]["description"]
        .as_str()
        .unwrap();
    assert!(upload.contains(&WRITE.join(", ")), "{upload}");
    // The published permissions are the enforced ones.
    for (template, accepted, _) in DOCUMENTED {
        let description = document["paths"][template]["get"]["description"]
            .as_str()
            .unwrap();
        assert!(
            description.contains(&accepted.join(", ")),
            "{template}: {description}"
        );
    }
}
