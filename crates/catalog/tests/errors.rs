//! Broken input gives an error that names the problem and, where the format has them, the
//! line or record; the caller adds the file name.

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use kbgap_catalog::{
    Error, Location, parse_bytes, parse_cvrf_json, parse_cvrf_xml, parse_wesng_csv,
    parse_wesng_zip, read_path,
};

fn fixture_text(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let mut decoder =
        ruzstd::decoding::StreamingDecoder::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    decoder.read_to_end(&mut out).unwrap();
    out
}

#[test]
fn xml_that_is_not_cvrf() {
    let e = parse_cvrf_xml(&b"<!DOCTYPE html>\n<html><body>Service unavailable</body></html>"[..])
        .unwrap_err();
    assert!(matches!(e, Error::NotCvrf(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "not a CVRF document: the root element is <html>, not <cvrf:cvrfdoc>"
    );
    let e = parse_cvrf_xml(&b"just some text"[..]).unwrap_err();
    assert!(matches!(e, Error::NotCvrf(_)), "{e:?}");
}

#[test]
fn truncated_xml_names_the_line() {
    let xml = fixture_text("cvrf-2019-Mar.p0w3rsh3ll.xml.zst");
    let cut = &xml[..xml.len() / 2];
    let lines = cut.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let e = parse_cvrf_xml(cut).unwrap_err();
    match &e {
        Error::Truncated {
            at: Location::Line(line),
            inside: Some(_),
        } => assert_eq!(*line, lines, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .starts_with(&format!("line {lines}: the document is truncated")),
        "{e}"
    );
    // Cut inside a tag.
    let cut = b"<cvrf:cvrfdoc><cvrf:DocumentTitle>March</cvrf:DocumentTitle>\n<vuln:Vulnerab";
    let e = parse_cvrf_xml(&cut[..]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Truncated {
                at: Location::Line(2),
                ..
            }
        ),
        "{e:?}"
    );
    // A compressed file cut short fails too (in the zstd layer or in the XML).
    let zst = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/cvrf-2019-Mar.p0w3rsh3ll.xml.zst"),
    )
    .unwrap();
    assert!(parse_bytes("2019-Mar.xml.zst", &zst[..zst.len() / 2]).is_err());
}

#[test]
fn malformed_xml_names_the_line() {
    let e = parse_cvrf_xml(&b"<cvrf:cvrfdoc>\n<a>\n</b>\n</cvrf:cvrfdoc>"[..]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Syntax {
                at: Location::Line(3),
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn bad_attribute_names_the_line() {
    let e = parse_cvrf_xml(&b"<cvrf:cvrfdoc><prod:ProductTree>\n<prod:FullProductName ProductID=\"1&bogus;\">x</prod:FullProductName>"[..])
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Syntax {
                at: Location::Line(2),
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn cvrf_without_identification() {
    let e = parse_cvrf_xml(
        &b"<cvrf:cvrfdoc><cvrf:DocumentTitle>x</cvrf:DocumentTitle></cvrf:cvrfdoc>"[..],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "not a CVRF document: no DocumentTracking/Identification/ID"
    );
    let e = parse_cvrf_xml(
        &b"<cvrfdoc><DocumentTracking><Identification><ID>2020-Mar</ID></Identification></DocumentTracking></cvrfdoc>"[..],
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "document 2020-Mar has no InitialReleaseDate");
}

#[test]
fn csv_with_the_wrong_header() {
    let e = parse_wesng_csv(
        "CVEs_20200311.csv",
        &b"Date,CVE,KB\n\"20200310\",\"CVE-2020-0001\",\"4540673\"\n"[..],
    )
    .unwrap_err();
    assert!(matches!(e, Error::Header { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("line 1: not a WES-NG CSV header: expected \"DatePosted,CVE,BulletinKB,"),
        "{e}"
    );
}

#[test]
fn csv_with_a_short_record() {
    let body = "\"DatePosted\",\"CVE\",\"BulletinKB\",\"Title\",\"AffectedProduct\",\"AffectedComponent\",\"Severity\",\"Impact\",\"Supersedes\",\"Exploits\"\n\
                \"20200310\",\"CVE-2020-0001\",\"4540673\",\"t\",\"p\",\"\",\"\",\"\",\"\",\"\"\n\
                \"20200310\",\"CVE-2020-0002\",\"4540673\"\n";
    let e = parse_wesng_csv("CVEs_20200311.csv", body.as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "record 2 (line 3): 3 fields where the header has 10"
    );
}

#[test]
fn empty_files() {
    for e in [
        parse_wesng_csv("CVEs_20200311.csv", &b""[..]).unwrap_err(),
        parse_cvrf_xml(&b""[..]).unwrap_err(),
        parse_cvrf_xml(&b"\xEF\xBB\xBF  \n"[..]).unwrap_err(),
        parse_cvrf_json(&b" \n"[..]).unwrap_err(),
        parse_bytes("2020-Mar.xml", b"").unwrap_err(),
        parse_bytes("anything", b"\n\n").unwrap_err(),
    ] {
        assert!(matches!(e, Error::Empty), "{e:?}");
        assert_eq!(e.to_string(), "the input is empty");
    }
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn zip_without_a_cves_csv() {
    let zip = zip_of(&[("Custom_20190321.csv", b"x"), ("Version_0.94.txt", b"v")]);
    let e = parse_wesng_zip(Cursor::new(&zip)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "zip archive: no CVEs_*.csv in the archive, so it is not a WES-NG definitions.zip \
         (members: Custom_20190321.csv, Version_0.94.txt)"
    );
    // A broken member is named.
    let zip = zip_of(&[("CVEs_20200311.csv", b"not,a,header\n")]);
    let e = parse_bytes("definitions.zip", &zip).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("CVEs_20200311.csv: line 1: not a WES-NG CSV header"),
        "{e}"
    );
    let e = parse_wesng_zip(Cursor::new(b"PK\x03\x04 but not a zip")).unwrap_err();
    assert!(matches!(e, Error::Zip(_)), "{e:?}");
}

#[test]
fn json_errors() {
    let e =
        parse_cvrf_json(&b"{\"DocumentTitle\": {\"Value\": \"x\"},\n \"DocumentTracking\": {"[..])
            .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Truncated {
                at: Location::LineColumn { line: 2, .. },
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_cvrf_json(&b"{\"a\": 1,,}"[..]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Syntax {
                at: Location::LineColumn { line: 1, column: 9 },
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_cvrf_json(&b"{\"a\": 1}"[..]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "not a CVRF document: the JSON object has no DocumentTracking"
    );
    let e = parse_cvrf_json(&b"[1, 2]"[..]).unwrap_err();
    assert!(matches!(e, Error::NotCvrf(_)), "{e:?}");
    let index = br#"{"@odata.context":"https://api.msrc.microsoft.com/$metadata#Updates","value":[{"ID":"2020-Mar"}]}"#;
    assert!(matches!(
        parse_cvrf_json(&index[..]).unwrap_err(),
        Error::UpdatesIndex
    ));
}

#[test]
fn unknown_formats() {
    let e = parse_bytes("blob.bin", b"\x00\x01\x02binary").unwrap_err();
    assert!(matches!(e, Error::UnknownFormat(_)), "{e:?}");
}

#[test]
fn read_path_names_the_file() {
    let dir = std::env::temp_dir().join(format!("kbgap-catalog-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Not catalogs: passed over in a folder.
    std::fs::write(dir.join("LICENSE.txt"), "BSD").unwrap();
    std::fs::write(
        dir.join("index.json"),
        r#"{"@odata.context":"x","value":[]}"#,
    )
    .unwrap();
    assert!(read_path(&dir).unwrap().is_empty());
    // A broken catalog fails the read, with its path first.
    let bad = dir.join("2020-Mar.xml");
    std::fs::write(&bad, "<cvrf:cvrfdoc>\n<cvrf:DocumentTitle>").unwrap();
    let e = read_path(&dir).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "{}: line 2: the document is truncated",
            bad.display()
        )),
        "{e}"
    );
    assert!(matches!(e.root(), Error::Truncated { .. }));
    // The updates index named explicitly is an error: it is not a document.
    let e = read_path(dir.join("index.json")).unwrap_err();
    assert!(
        e.to_string().ends_with(
            "this is the MSRC updates index (a list of CVRF documents), not a CVRF document"
        ),
        "{e}"
    );
    let e = read_path(dir.join("missing.xml")).unwrap_err();
    assert!(e.to_string().contains("missing.xml: read error:"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
