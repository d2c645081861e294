//! Whatever the input, the entry points return a value or an error; they never panic.

use kbgap_catalog::{
    classify_product, parse_bytes, parse_cvrf_json, parse_cvrf_xml, parse_wesng_csv,
};
use kbgap_domain::SoftwareId;
use proptest::prelude::*;

/// Pieces of real CVRF XML, so that random documents get past the first element.
const XML_PIECES: &[&str] = &[
    "<cvrf:cvrfdoc>",
    "</cvrf:cvrfdoc>",
    "<cvrf:DocumentTitle>March 2020 Security Updates</cvrf:DocumentTitle>",
    "<cvrf:DocumentTitle>Mariner Release Notes</cvrf:DocumentTitle>",
    "<cvrf:DocumentTracking><cvrf:Identification><cvrf:ID>2020-Mar</cvrf:ID></cvrf:Identification>",
    "<cvrf:InitialReleaseDate>2020-03-10T07:00:00Z</cvrf:InitialReleaseDate>",
    "<cvrf:CurrentReleaseDate>2020-04-01</cvrf:CurrentReleaseDate></cvrf:DocumentTracking>",
    "<prod:ProductTree>",
    "</prod:ProductTree>",
    "<prod:FullProductName ProductID=\"11712\">Windows 10 Version 1909 for x64-based Systems</prod:FullProductName>",
    "<prod:FullProductName ProductID=\"10724-11712\">Microsoft Edge (EdgeHTML-based) on Windows 10 Version 1909 for x64-based Systems</prod:FullProductName>",
    "<vuln:Vulnerability>",
    "</vuln:Vulnerability>",
    "<vuln:CVE>CVE-2020-0001</vuln:CVE>",
    "<vuln:Threats><vuln:Threat Type=\"Severity\"><vuln:Description>Critical</vuln:Description><vuln:ProductID>11712</vuln:ProductID></vuln:Threat></vuln:Threats>",
    "<vuln:Remediations>",
    "</vuln:Remediations>",
    "<vuln:Remediation Type=\"Vendor Fix\">",
    "<vuln:Remediation Type=\"Known Issue\">",
    "</vuln:Remediation>",
    "<vuln:Description>4540673</vuln:Description>",
    "<vuln:Description>Release Notes</vuln:Description>",
    "<vuln:ProductID>11712</vuln:ProductID>",
    "<vuln:ProductID>10724-11712</vuln:ProductID>",
    "<vuln:ProductID/>",
    "<vuln:Supercedence>4532693; MS16-087</vuln:Supercedence>",
    "<vuln:SubType>Security Update</vuln:SubType>",
    "<vuln:FixedBuild>10.0.18363.720</vuln:FixedBuild>",
    "&amp;",
    "&#x41;",
    "&bogus;",
    "<![CDATA[x]]>",
    "<!-- c -->",
    "\n",
    "<",
    ">",
    "\"",
];

const HEADER: &str = "\"DatePosted\",\"CVE\",\"BulletinKB\",\"Title\",\"AffectedProduct\",\"AffectedComponent\",\"Severity\",\"Impact\",\"Supersedes\",\"Exploits\"\n";

fn xml_document() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(XML_PIECES), 0..40).prop_map(|p| p.concat())
}

fn csv_field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("20200310".to_string()),
        Just("4540673".to_string()),
        Just("CVE-2020-0001".to_string()),
        Just("Windows 10 Version 1909 for x64-based Systems".to_string()),
        Just("Internet Explorer 11".to_string()),
        Just("4532693;MS16-087".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,12}",
    ]
}

fn csv_document() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::collection::vec(csv_field(), 0..12), 0..8).prop_map(|rows| {
        let mut out = HEADER.to_string();
        for row in rows {
            let fields: Vec<String> = row
                .iter()
                .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
                .collect();
            out.push_str(&fields.join(","));
            out.push('\n');
        }
        out
    })
}

/// A real document: the Mariner pseudo-month (small) as XML.
fn real_xml() -> Vec<u8> {
    use std::io::Read;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cvrf-1999-Sep.mariner.xml.zst");
    let mut out = Vec::new();
    ruzstd::decoding::StreamingDecoder::new(std::fs::File::open(path).unwrap())
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn csv_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600), doc in csv_document()) {
        let _ = parse_wesng_csv("CVEs_20200311.csv", bytes.as_slice());
        let _ = parse_wesng_csv("CVEs_20200311.csv", doc.as_bytes());
        let _ = parse_bytes("x.csv", doc.as_bytes());
    }

    #[test]
    fn xml_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600), doc in xml_document()) {
        let _ = parse_cvrf_xml(bytes.as_slice());
        let _ = parse_cvrf_xml(doc.as_bytes());
        let _ = parse_bytes("x.xml", doc.as_bytes());
    }

    #[test]
    fn json_and_sniffing_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), text in "\\PC{0,200}") {
        let _ = parse_cvrf_json(bytes.as_slice());
        let _ = parse_cvrf_json(text.as_bytes());
        let _ = parse_bytes("x", &bytes);
        let _ = parse_bytes("x.zst", &bytes);
    }

    #[test]
    fn mutated_real_documents_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut xml = real_xml();
        for (at, byte) in edits {
            let i = at.index(xml.len());
            xml[i] = byte;
        }
        let _ = parse_cvrf_xml(xml.as_slice());
        let _ = parse_cvrf_xml(&xml[..cut.index(xml.len())]);
    }

    #[test]
    fn classification_is_total(name in "\\PC{0,80}", os in "(Microsoft )?Windows (Server )?[0-9A-Za-z ,().-]{0,40}") {
        for n in [name.as_str(), os.as_str(), &format!("{name} on {os}")] {
            let info = classify_product(n);
            let id = info.software.to_string();
            prop_assert_eq!(SoftwareId::parse(&id), Some(info.software.clone()), "{} → {}", n, id);
        }
    }
}
