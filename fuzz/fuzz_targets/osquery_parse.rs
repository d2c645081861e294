//! osquery results come from fleets of agents and from files people join by hand: whatever
//! the bytes, the osquery reader (one host's tables, or a results log of many) must end in
//! machines or an error, never a panic or a hang. Seed the corpus from
//! crates/inventory/tests/agents.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = kbgap_inventory::osquery::parse(bytes);
});
