//! Program names are whatever vendors write into the Uninstall keys: mapping any of them to
//! catalog products must end in an answer, never a panic or a hang. Each input line is a
//! program name (a `|` starts its version); the selection runs against the names themselves
//! classified as catalog products, so stems and qualifiers meet arbitrary text on both sides.
#![no_main]

use kbgap_catalog::applications::{installed_software, is_application_product};
use kbgap_domain::{Application, Arch, MachineInventory, OsFamily, OsInfo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let applications: Vec<Application> = text
        .lines()
        .map(|line| match line.split_once('|') {
            Some((name, version)) => Application {
                version: Some(version.to_string()),
                ..Application::named(name)
            },
            None => Application::named(line),
        })
        .collect();
    let products: Vec<_> = text
        .lines()
        .map(|line| {
            let _ = is_application_product(line);
            kbgap_catalog::classify_product(line)
        })
        .collect();
    let machine = MachineInventory {
        host: "FUZZ".into(),
        identity: "FUZZ".into(),
        os: OsInfo {
            name: "Microsoft Windows 10 Pro".into(),
            family: OsFamily::Windows10,
            release: None,
            build: 19045,
            revision: None,
            arch: Arch::X64,
            service_pack: None,
        },
        installed_kbs: Default::default(),
        applications,
        device_group: None,
    };
    let installed = installed_software(&machine);
    let _ = installed.select(&products);
    let _ = installed.installed_versions(&products);
    let _ = installed.groups();
});
