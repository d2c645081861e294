//! Configuration from a file, below the environment and the flags.
//!
//! Every option of every command can be set three ways, in this order of precedence: the
//! flag (`--listen`), the environment (`KBGAP_LISTEN`), and the file named by `--config` or
//! `KBGAP_CONFIG`. The file holds `key = value` lines, where a key is the option's environment
//! name (`KBGAP_LISTEN`) or its flag name (`listen`); `#` starts a comment. The file only fills
//! environment variables that are not already set, so clap applies the precedence, and the set
//! of valid keys is read off the command definitions: a key that no option has is an error
//! naming the file and the line, not something silently ignored.
//!
//! Values are never printed: a database URL or a secret in the file stays out of the logs.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;

/// The environment variable that names the configuration file.
pub const CONFIG_ENV: &str = "KBGAP_CONFIG";

/// The file named by `--config FILE` / `--config=FILE` in `args`, else by `KBGAP_CONFIG`.
pub fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        }
        if text == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(CONFIG_ENV).map(PathBuf::from)
}

/// Every environment name an option of `command` or its subcommands reads.
fn known_names(command: &clap::Command, names: &mut BTreeSet<String>) {
    for arg in command.get_arguments() {
        if let Some(env) = arg.get_env() {
            names.insert(env.to_string_lossy().into_owned());
        }
    }
    for sub in command.get_subcommands() {
        known_names(sub, names);
    }
}

/// The `(environment name, value)` pairs of a configuration file's `text`.
pub fn parse(
    text: &str,
    command: &clap::Command,
    file: &str,
) -> Result<Vec<(String, String)>, String> {
    let mut known = BTreeSet::new();
    known_names(command, &mut known);
    let mut pairs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("{file}, line {line_no}: expected `key = value`"))?;
        let key = key.trim();
        let name = if key.starts_with("KBGAP_") {
            key.to_string()
        } else {
            format!("KBGAP_{}", key.replace('-', "_").to_ascii_uppercase())
        };
        if name == CONFIG_ENV || !known.contains(&name) {
            return Err(format!(
                "{file}, line {line_no}: `{key}` is not a kbgap option (known: {})",
                known
                    .iter()
                    .filter(|n| n.as_str() != CONFIG_ENV)
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        pairs.push((name, value.to_string()));
    }
    Ok(pairs)
}

/// Reads the configuration file, if one is named, into the environment variables that are not
/// set yet. Runs before any thread starts.
pub fn load(args: &[OsString], command: &clap::Command) -> Result<(), String> {
    let Some(path) = config_path(args) else {
        return Ok(());
    };
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the configuration file {file}: {e}"))?;
    for (name, value) in parse(&text, command, &file)? {
        if std::env::var_os(&name).is_none() {
            // SAFETY: called from `main` before the runtime or any other thread exists.
            unsafe { std::env::set_var(&name, value) };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn keys_are_option_names_and_unknown_ones_are_refused() {
        let command = crate::Cli::command();
        let pairs = parse(
            "# kbgap.conf\nlisten = 0.0.0.0:9000\nKBGAP_DB = \"sqlite:///var/lib/kbgap.db\"\n\nthrottle-per-minute=50\n",
            &command,
            "kbgap.conf",
        )
        .unwrap();
        assert_eq!(
            pairs,
            [
                ("KBGAP_LISTEN".to_string(), "0.0.0.0:9000".to_string()),
                ("KBGAP_DB".into(), "sqlite:///var/lib/kbgap.db".into()),
                ("KBGAP_THROTTLE_PER_MINUTE".into(), "50".into()),
            ]
        );
        let error = parse("listen = x\nlisten-on = y\n", &command, "kbgap.conf").unwrap_err();
        assert!(
            error.starts_with("kbgap.conf, line 2: `listen-on` is not a kbgap option"),
            "{error}"
        );
        let error = parse("just words\n", &command, "a.conf").unwrap_err();
        assert_eq!(error, "a.conf, line 1: expected `key = value`");
    }

    #[test]
    fn the_file_is_named_by_flag_or_environment() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            config_path(&args(&["kbgap", "--config", "/etc/kbgap.conf", "serve"])),
            Some(PathBuf::from("/etc/kbgap.conf"))
        );
        assert_eq!(
            config_path(&args(&["kbgap", "serve", "--config=k.conf"])),
            Some(PathBuf::from("k.conf"))
        );
    }
}
