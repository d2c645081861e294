//! Whatever bytes a catalog file holds, parsing must end in batches or an error, never a
//! panic or a hang: format sniffing, zstd, zip, the WES-NG CSV parser, both CVRF parsers
//! and the product classifier are all reached. Seed the corpus from
//! crates/catalog/tests/data (`RUSTC_BOOTSTRAP=1 cargo fuzz run catalog_parse
//! ../crates/catalog/tests/data`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = kbgap_catalog::parse_bytes("fuzz", bytes);
    let _ = kbgap_catalog::parse_wesng_csv("CVEs_20200311.csv", bytes);
    let _ = kbgap_catalog::parse_cvrf_xml(bytes);
    let _ = kbgap_catalog::parse_cvrf_json(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        for line in text.lines() {
            let _ = kbgap_catalog::classify_product(line);
        }
    }
});
