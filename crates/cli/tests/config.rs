//! Options from a configuration file, as a service would be set up: the file names the
//! database, the environment and the flags override it, and a key that is no option stops
//! `kbgap` before it does anything, naming the file and the line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KBGAP: &str = env!("CARGO_BIN_EXE_kbgap");

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn kbgap(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(KBGAP);
    command.args(args);
    for name in ["KBGAP_DB", "KBGAP_CONFIG", "KBGAP_LOG_FORMAT"] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn hosts(output: &Output) -> Vec<String> {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let machine: serde_json::Value = serde_json::from_str(line).unwrap();
            machine["computerDnsName"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn the_file_sets_options_below_the_environment_and_the_flags() {
    let dir = std::env::temp_dir().join(format!("kbgap-config-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let from_file = format!("sqlite://{}", dir.join("from-file.db").display());
    let from_env = format!("sqlite://{}", dir.join("from-env.db").display());
    let config = dir.join("kbgap.conf");
    std::fs::write(
        &config,
        format!("# kbgap.conf\ndb = \"{from_file}\"\nlog-format = json\n"),
    )
    .unwrap();
    let config = config.display().to_string();
    let win7 = repo("demo/7_sp1_x64_enterprise_en-us_A_systeminfo.txt");
    let fleet = repo("demo/fleet-2020-03.json");

    // The file's database, named by the flag.
    let ingested = kbgap(
        &[
            "--config",
            &config,
            "ingest",
            "--json",
            &win7.display().to_string(),
        ],
        &[],
    );
    assert_eq!(hosts(&ingested).len(), 1);
    // The environment overrides the file: another database, by KBGAP_CONFIG this time.
    let ingested = kbgap(
        &["ingest", "--json", &fleet.display().to_string()],
        &[
            ("KBGAP_CONFIG", config.clone()),
            ("KBGAP_DB", from_env.clone()),
        ],
    );
    assert_eq!(hosts(&ingested).len(), 5);
    let in_file = hosts(&kbgap(&["--config", &config, "machines", "--json"], &[]));
    let in_env = hosts(&kbgap(&["machines", "--json", "--db", &from_env], &[]));
    assert_eq!(in_file.len(), 1);
    assert_eq!(in_env.len(), 5);
    // A flag overrides both.
    let flagged = kbgap(
        &["--config", &config, "--db", &from_env, "machines", "--json"],
        &[("KBGAP_DB", from_file.clone())],
    );
    assert_eq!(hosts(&flagged).len(), 5);

    // A key that is no option: nothing runs, and the message names the file and the line.
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, format!("db = {from_file}\nlisten_on = 0.0.0.0:80\n")).unwrap();
    let refused = kbgap(&["--config", &bad.display().to_string(), "machines"], &[]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains(&format!(
            "{}, line 2: `listen_on` is not a kbgap option",
            bad.display()
        )),
        "{message}"
    );
    // The file's value is not echoed: a secret in it stays out of messages.
    assert!(!message.contains("from-file.db"), "{message}");
    let _ = std::fs::remove_dir_all(&dir);
}
