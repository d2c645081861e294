//! The `kbgap` binary run as a user runs it, in a fresh folder per test with its own SQLite
//! file, removed afterwards. Shared by the command-line tests.

#![allow(dead_code)] // Each test file uses a different part.

use std::path::PathBuf;
use std::process::{Command, Output};

pub const KBGAP: &str = env!("CARGO_BIN_EXE_kbgap");

pub struct Sandbox {
    pub dir: PathBuf,
    env: Vec<(&'static str, String)>,
}

impl Sandbox {
    /// A fresh folder `kbgap-cli-<name>-<pid>` in the system's temporary folder.
    pub fn new(name: &str) -> Sandbox {
        let dir = std::env::temp_dir().join(format!("kbgap-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Sandbox {
            dir,
            env: Vec::new(),
        }
    }

    /// Every command also gets this environment variable.
    pub fn with_env(mut self, key: &'static str, value: &str) -> Sandbox {
        self.env.push((key, value.to_string()));
        self
    }

    /// `kbgap --db <the sandbox's database>`, ignoring the caller's KBGAP_DB and
    /// KBGAP_PUBLIC_URL.
    pub fn command(&self) -> Command {
        let mut command = Command::new(KBGAP);
        command
            .arg("--db")
            .arg(format!("sqlite://{}", self.dir.join("kbgap.db").display()))
            .env_remove("KBGAP_DB")
            .env_remove("KBGAP_PUBLIC_URL");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Runs and asserts success; the standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and asserts failure with `says` in the standard error.
    pub fn refused(&self, args: &[&str], says: &str) {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }

    /// Writes a file in the sandbox; its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
