//! Whatever bytes an agent or a person uploads, reading them must end in a value or an
//! error, never a panic or a hang: detection, decoding and all three parsers are reached
//! from `parse`, and merging is exercised on what it returns.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let parsed = kbgap_inventory::parse(bytes);
    let _ = kbgap_inventory::detect(bytes);
    if let Ok(parsed) = parsed {
        let _ = kbgap_inventory::merge_one_machine(vec![parsed]);
    }
});
