//! `parse` must never panic, whatever the bytes: inventories are uploaded by people and
//! agents, and one bad file must give an error, not take the importer down.

use proptest::prelude::*;

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Real files in each encoding and shape the parsers branch on.
const SEEDS: [&str; 6] = [
    "10_1809_x64_pro_en-us_20190307_systeminfo.txt", // CP437
    "7_sp1_x64_enterprise_fr_systeminfo_powershell.txt", // UTF-16LE, French
    "7_sp1_x64_ultimaten_de_systeminfo.txt",         // UTF-8, German
    "xp_sp3_x86_professional_en-us_systeminfo.txt",  // truncated hotfix list
    "xp_sp2_x86_qfe.txt",                            // ASCII banner + UTF-16LE
    "vista_x64_sp1_qfe.txt",                         // UTF-16LE table
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
    DuplicateRange(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 0usize..200).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (
            any::<usize>(),
            proptest::collection::vec(
                prop_oneof![
                    Just(b':'),
                    Just(b' '),
                    Just(b'\n'),
                    Just(b'['),
                    Just(0u8),
                    any::<u8>()
                ],
                0..40
            )
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0usize..400).prop_map(|(i, n)| Mutation::DuplicateRange(i, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match m {
        Mutation::Flip(i, b) => {
            if !bytes.is_empty() {
                bytes[i % len] ^= b;
            }
        }
        Mutation::Delete(i, n) => {
            let start = (i % len).min(bytes.len());
            let end = (start + n).min(bytes.len());
            bytes.drain(start..end);
        }
        Mutation::Insert(i, v) => {
            let at = (i % len).min(bytes.len());
            bytes.splice(at..at, v.iter().copied());
        }
        Mutation::Truncate(i) => bytes.truncate(i % len),
        Mutation::DuplicateRange(i, n) => {
            let start = (i % len).min(bytes.len());
            let end = (start + n).min(bytes.len());
            let copy = bytes[start..end].to_vec();
            bytes.splice(end..end, copy);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = kbgap_inventory::parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in "\\PC{0,600}") {
        let _ = kbgap_inventory::parse(text.as_bytes());
    }

    #[test]
    fn parse_never_panics_on_mutated_real_files(seed in 0..SEEDS.len(), mutations in proptest::collection::vec(mutation(), 1..8)) {
        let mut bytes = data(SEEDS[seed]);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let _ = kbgap_inventory::parse(&bytes);
    }

    /// A systeminfo whose lines are shuffled within its hotfix list still reads the same KBs:
    /// order carries no meaning there.
    #[test]
    fn hotfix_order_does_not_matter(swaps in proptest::collection::vec((0usize..219, 0usize..219), 1..20)) {
        let text = String::from_utf8(data("7_sp1_x64_enterprise_en-us_A_systeminfo.txt")).unwrap();
        let mut lines: Vec<&str> = text.split("\r\n").collect();
        let first = lines.iter().position(|l| l.trim_start().starts_with("[01]: KB")).unwrap();
        for (a, b) in swaps {
            lines.swap(first + a, first + b);
        }
        let shuffled = lines.join("\r\n");
        prop_assert_eq!(kbgap_inventory::parse(shuffled.as_bytes()), kbgap_inventory::parse(text.as_bytes()));
    }
}
