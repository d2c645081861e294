//! The systeminfo reader must not depend on English labels nor on one encoding, and bad input
//! must be refused with a message that says what and where.

use kbgap_domain::MachineInventory;
use kbgap_inventory::{Format, InventoryError, Parsed, detect, parse};

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn one(bytes: &[u8]) -> MachineInventory {
    match parse(bytes) {
        Ok(Parsed::Machines(mut m)) if m.len() == 1 => m.remove(0),
        other => panic!("expected one machine, got {other:?}"),
    }
}

/// English files put values at column 27.
const ENGLISH_COLUMN: usize = 27;

/// Rewrites a list-form systeminfo with other labels: each `Label:` becomes `word(i):`,
/// values move to `new_column` (counted by `width`), continuation lines move with them.
fn relabel(
    text: &str,
    new_column: usize,
    word: impl Fn(usize, &str) -> String,
    width: impl Fn(&str) -> usize,
) -> String {
    let mut out = String::new();
    let mut field = 0;
    for line in text.split("\r\n") {
        if line.trim().is_empty() {
            out.push_str(line);
        } else if line.starts_with(' ') {
            out.push_str(&" ".repeat(new_column));
            out.push_str(&line[ENGLISH_COLUMN..]);
        } else {
            let (label, value) = line.split_at(ENGLISH_COLUMN.min(line.len()));
            let label = format!("{}:", word(field, label.trim_end().trim_end_matches(':')));
            field += 1;
            assert!(
                width(&label) < new_column,
                "{label} is too long for column {new_column}"
            );
            out.push_str(&label);
            out.push_str(&" ".repeat(new_column - width(&label)));
            out.push_str(value);
        }
        out.push_str("\r\n");
    }
    out
}

/// Made-up words, never the English label's length; some with a colon inside, as
/// "Virtual Memory: Max Size" has.
fn made_up(i: usize, english: &str) -> String {
    const SYLLABLES: [&str; 7] = ["zor", "ka", "mip", "lu", "dre", "fenn", "o"];
    let mut word: String = (0..1 + (i * 7 + 3) % 4)
        .map(|k| SYLLABLES[(i + k * 3) % SYLLABLES.len()])
        .collect();
    if i.is_multiple_of(5) {
        word.push_str(": qua");
    }
    if word.len() == english.len() {
        word.push('x');
    }
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Japanese-looking labels, padded by display width (a kana counts two columns).
fn kana(i: usize, _: &str) -> String {
    const KANA: [char; 8] = ['ホ', 'ス', 'ト', 'メ', 'モ', 'リ', 'シ', 'ン'];
    let mut word: String = (0..2 + i % 5).map(|k| KANA[(i + k) % KANA.len()]).collect();
    if i % 4 == 1 {
        word.push_str(": ソ");
    }
    word
}

fn kana_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

#[test]
fn labels_are_not_read() {
    for file in [
        "7_sp1_x64_enterprise_en-us_20190305_systeminfo.txt",
        "srv_2003r2_sp2_x86_standard_en-us_systeminfo.txt",
        "10_1803_x64_education_en-us_systeminfo.txt",
        "xp_rtm_x86_professional_en-us_systeminfo.txt",
    ] {
        let bytes = data(file);
        let original = one(&bytes);
        let text = String::from_utf8(bytes).unwrap();
        for column in [20, 44] {
            let renamed = relabel(&text, column, made_up, str::len);
            assert!(
                !renamed.contains("Host Name")
                    && !renamed.contains("OS Version")
                    && !renamed.contains("Hotfix(s):")
            );
            assert_eq!(
                one(renamed.as_bytes()),
                original,
                "{file}, labels at column {column}:\n{}",
                &renamed[..600]
            );
        }
        let japanese = relabel(&text, 36, kana, kana_width);
        assert_eq!(
            one(japanese.as_bytes()),
            original,
            "{file} with wide labels:\n{}",
            &japanese[..600]
        );
        // The same in UTF-16LE, as PowerShell would have written it.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(japanese.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(one(&utf16), original, "{file} with wide labels in UTF-16");
    }
}

/// CP850 for the characters of the test files, written out here rather than taken from the
/// crate, so that a wrong table in the crate cannot agree with itself.
fn cp850(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            'ü' => 0x81,
            'é' => 0x82,
            'â' => 0x83,
            'ä' => 0x84,
            'à' => 0x85,
            'ç' => 0x87,
            'ê' => 0x88,
            'è' => 0x8A,
            'Ä' => 0x8E,
            'É' => 0x90,
            'ô' => 0x93,
            'ö' => 0x94,
            'Ö' => 0x99,
            'Ü' => 0x9A,
            'á' => 0xA0,
            'í' => 0xA1,
            'ó' => 0xA2,
            'ú' => 0xA3,
            'ñ' => 0xA4,
            'ß' => 0xE1,
            '\u{A0}' => 0xFF,
            other => panic!("no CP850 byte for {other:?} in this test"),
        })
        .collect()
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = if bom { vec![0xFEFF] } else { vec![] }
        .into_iter()
        .chain(text.encode_utf16());
    for u in units {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

#[test]
fn encodings_do_not_change_the_result() {
    // German in UTF-8 and French in UTF-16LE: both have accented letters in labels and values.
    let german = data("7_sp1_x64_ultimaten_de_systeminfo.txt");
    let french = data("7_sp1_x64_enterprise_fr_systeminfo_powershell.txt");
    let french_text = encoding_rs::UTF_16LE
        .decode_with_bom_removal(&french)
        .0
        .into_owned();
    let spanish = data("10_1809_x64_education_es_systeminfo.txt");
    let spanish_text = String::from_utf8(
        spanish
            .iter()
            .map(|&b| if b < 0x80 { b } else { b'?' })
            .collect(),
    )
    .unwrap();
    for (name, bytes, text) in [
        ("German", german.clone(), String::from_utf8(german).unwrap()),
        ("French", french, french_text),
        ("Spanish", spanish, spanish_text),
    ] {
        let original = one(&bytes);
        let variants: Vec<(&str, Vec<u8>)> = vec![
            ("UTF-8", text.as_bytes().to_vec()),
            (
                "UTF-8 with BOM",
                [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            ),
            ("UTF-16LE with BOM", utf16(&text, false, true)),
            ("UTF-16LE", utf16(&text, false, false)),
            ("UTF-16BE with BOM", utf16(&text, true, true)),
            ("UTF-16BE", utf16(&text, true, false)),
            ("CP850", cp850(&text)),
            (
                "Windows-1252",
                encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
            ),
        ];
        for (encoding, bytes) in variants {
            assert_eq!(one(&bytes), original, "{name} in {encoding}");
        }
    }
    // And the decoded text itself comes back, not a mojibake that happens to parse.
    let m = one(&cp850(
        &String::from_utf8(data("7_sp1_x64_ultimaten_de_systeminfo.txt")).unwrap(),
    ));
    assert_eq!(m.os.name, "Microsoft Windows 7 Ultimate N");
    let text = kbgap_inventory::decode(&data("10_1809_x64_education_es_systeminfo.txt"));
    assert!(
        text.contains(
            "Versión del sistema operativo:             10.0.17763 N/D Compilación 17763"
        )
    );
    let text = kbgap_inventory::decode(&data("10_1809_x64_pro_en-us_20190307_systeminfo.txt"));
    assert!(text.contains("Total Physical Memory:     32\u{A0}503 MB"));
}

/// `systeminfo /fo csv` of an English list file: the same labels as a header row, the values
/// as one quoted data row, multi-valued fields comma-joined.
fn to_csv(text: &str, header: bool) -> String {
    let mut labels = Vec::new();
    let mut values: Vec<String> = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.trim().is_empty()) {
        if line.starts_with(' ') {
            let last = values.last_mut().unwrap();
            last.push(',');
            last.push_str(line.trim());
        } else {
            let (label, value) = line.split_at(ENGLISH_COLUMN.min(line.len()));
            labels.push(label.trim_end().trim_end_matches(':').to_string());
            values.push(value.trim().to_string());
        }
    }
    let row = |cells: &[String]| {
        cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = String::from("\r\n");
    if header {
        out += &row(&labels);
        out += "\r\n";
    }
    out += &row(&values);
    out += "\r\n";
    out
}

#[test]
fn csv_form_reads_like_the_list_form() {
    for file in [
        "7_sp1_x64_enterprise_en-us_20190305_systeminfo.txt",
        "11_23H2_x64_enterprise_systeminfo.txt",
    ] {
        let bytes = data(file);
        let original = one(&bytes);
        let text = String::from_utf8(bytes).unwrap();
        let csv = to_csv(&text, true);
        assert!(csv.contains(" Hotfix(s) Installed.,[01]: KB"), "{csv}");
        assert_eq!(detect(csv.as_bytes()), Some(Format::Systeminfo));
        assert_eq!(one(csv.as_bytes()), original, "{file} as CSV");
        assert_eq!(
            one(to_csv(&text, false).as_bytes()),
            original,
            "{file} as CSV /nh"
        );
    }
    // Two machines in one CSV (a header and two data rows).
    let a = to_csv(
        &String::from_utf8(data("11_23H2_x64_enterprise_systeminfo.txt")).unwrap(),
        true,
    );
    let b = to_csv(
        &String::from_utf8(data("10_21H1_x64_enterprise_systeminfo.txt")).unwrap(),
        false,
    );
    match parse(format!("{a}{b}").as_bytes()) {
        Ok(Parsed::Machines(m)) => {
            assert_eq!(
                m.iter().map(|m| m.os.build).collect::<Vec<_>>(),
                vec![22631, 19043]
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Everything up to and including the line that contains `marker`.
fn cut_after(bytes: &[u8], marker: &str) -> Vec<u8> {
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())
        .unwrap();
    let end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |e| at + e + 1);
    bytes[..end].to_vec()
}

#[test]
fn empty_files() {
    for bytes in [&b""[..], b"  \r\n\r\n", b"\xFF\xFE", b"\xEF\xBB\xBF\n"] {
        let err = parse(bytes).unwrap_err();
        assert_eq!(err, InventoryError::Empty, "{bytes:?}");
        assert_eq!(err.to_string(), "empty file");
    }
}

#[test]
fn truncated_systeminfo_says_which_field_is_missing() {
    let file = data("10_1809_x64_pro_en-us_20190307_systeminfo.txt");
    for (marker, missing) in [
        ("OS Name:", "OS Version"),
        ("System Model:", "System Type"),
        ("Logon Server:", "Hotfix(s)"),
    ] {
        let cut = cut_after(&file, marker);
        assert_eq!(detect(&cut), Some(Format::Systeminfo), "cut after {marker}");
        let err = parse(&cut).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("truncated: the {missing} field is missing"),
            "cut after {marker}"
        );
    }
    // Cut inside the hotfix list: what is listed is kept, the cut line dropped.
    let cut = cut_after(&file, "[03]: KB4480056");
    let m = one(&cut[..cut.len() - 6]); // "[03]: KB448" and no line end
    assert_eq!(
        m.installed_kbs
            .iter()
            .map(|k| k.number())
            .collect::<Vec<_>>(),
        vec![4470788, 4486553]
    );
}

#[test]
fn a_bad_version_is_reported_with_line_and_label() {
    let text = String::from_utf8(data("srv_2019_rtm_datacenter_en-us_systeminfo.txt")).unwrap();
    let bad = text.replace("10.0.17763 N/A Build 17763", "ten dot zero");
    let err = parse(bad.as_bytes()).unwrap_err();
    assert_eq!(err.line(), Some(4));
    assert_eq!(
        err.to_string(),
        "line 4: OS Version: expected a version like 10.0.17763, found \"ten dot zero\""
    );
    let bad = text.replace("x64-based PC", "a pocket calculator");
    assert_eq!(
        parse(bad.as_bytes()).unwrap_err().to_string(),
        "line 15: System Type: expected a system type like x64-based PC, found \"a pocket calculator\""
    );
}

#[test]
fn random_binary_is_not_an_inventory() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    assert_eq!(detect(&bytes), None);
    let err = parse(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a systeminfo, qfe, kbgap JSON or osquery inventory: the content is binary or in an unknown encoding"
    );
}

#[test]
fn a_csv_that_is_not_systeminfo() {
    let csv = b"\"Name\",\"Version\",\"Publisher\"\r\n\"7-Zip 19.00 (x64)\",\"19.00\",\"Igor Pavlov\"\r\n";
    let err = parse(csv).unwrap_err();
    assert!(matches!(err, InventoryError::Unrecognized { .. }));
    assert_eq!(
        err.to_string(),
        "not a systeminfo, qfe, kbgap JSON or osquery inventory: line 1 looks like a CSV header, but no row holds an OS version like 10.0.17763 (systeminfo /fo csv) and no column is named HotFixID (wmic qfe)"
    );
}

#[test]
fn json_with_a_wrong_field_type_names_the_field() {
    let json = br#"{"host": "PC1", "os": {"name": "Microsoft Windows 10 Pro", "build": "abc", "architecture": "x64"}, "installedKbs": []}"#;
    assert_eq!(detect(json), Some(Format::KbgapJson));
    let err = parse(json).unwrap_err();
    assert_eq!(
        err.to_string(),
        "os.build: expected a whole number from 0 to 4294967295, found \"abc\""
    );
    let lines = "{\"host\": \"PC1\", \"os\": {\"name\": \"Microsoft Windows 10 Pro\", \"build\": 19045, \"architecture\": \"x64\"}, \"installedKbs\": [\"KB5022502\"]}\n{\"host\": \"PC2\", \"os\": {\"name\": \"Microsoft Windows 10 Pro\", \"build\": 19045, \"architecture\": \"x64\"}, \"installedKbs\": \"KB5022502\"}\n";
    assert_eq!(
        parse(lines.as_bytes()).unwrap_err().to_string(),
        "line 2: installedKbs: expected an array of KB numbers, found \"KB5022502\""
    );
    let err = parse(b"{\"host\": \"PC1\",\n \"os\": {\"name\": }}").unwrap_err();
    assert_eq!(err.line(), Some(2));
}

#[test]
fn a_qfe_header_without_rows_is_an_empty_table() {
    let text = "Description  FixComments  HotFixID  InstallDate  InstalledBy  InstalledOn  Name  ServicePackInEffect  Status\r\n\r\n";
    assert_eq!(
        parse(text.as_bytes()),
        Ok(Parsed::Hotfixes {
            host: None,
            kbs: Default::default()
        })
    );
}

/// Work grows with the input, not with its square: a 1 MB line of `a: ` or a hundred thousand
/// rows must not stall an importer (a quadratic scan here once took minutes).
#[test]
fn large_inputs_stay_linear() {
    let started = std::time::Instant::now();
    let one_line = "Host Name: ".to_string() + &"a: ".repeat(350_000);
    let _ = parse(one_line.as_bytes());
    let mut table = String::from("Source   Description  HotFixID   InstalledBy\r\n");
    let mut list = String::new();
    let mut hotfixes = String::from("[01]: Q147222");
    for i in 0..100_000 {
        table += &format!("PC1      Update       KB{}  SYSTEM\r\n", 1_000_000 + i);
        list += &format!("HotFixID=KB{}\r\nCSName=PC1\r\n", 1_000_000 + i);
        hotfixes += &format!(
            "\r\n                           [{:02}]: KB{}",
            i + 2,
            1_000_000 + i
        );
    }
    let systeminfo = String::from_utf8(data("xp_sp2_x86_systeminfo.txt"))
        .unwrap()
        .replace("[01]: Q147222", &hotfixes);
    let Ok(Parsed::Hotfixes { kbs, .. }) = parse(table.as_bytes()) else {
        panic!()
    };
    assert_eq!(kbs.len(), 100_000);
    let Ok(Parsed::Hotfixes { kbs, .. }) = parse(list.as_bytes()) else {
        panic!()
    };
    assert_eq!(kbs.len(), 100_000);
    assert_eq!(one(systeminfo.as_bytes()).installed_kbs.len(), 100_001);
    assert!(
        started.elapsed().as_secs() < 60,
        "took {:?}",
        started.elapsed()
    );
}

/// The example in docs/INVENTORY.md is a valid inventory and means what the doc says.
#[test]
fn the_documented_json_example_parses() {
    let doc = std::fs::read_to_string(format!(
        "{}/../../docs/INVENTORY.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let start = doc.find("```json\n").unwrap() + "```json\n".len();
    let example = &doc[start..start + doc[start..].find("```").unwrap()];
    let m = one(example.as_bytes());
    assert_eq!(m.identity, "2339ad14a01bd0299afb93dfa2550136057bff96");
    assert_eq!(m.id().as_str(), "2339ad14a01bd0299afb93dfa2550136057bff96");
    assert_eq!(
        (
            m.os.family,
            m.os.release.as_deref(),
            m.os.build,
            m.os.revision
        ),
        (
            kbgap_domain::OsFamily::Windows10,
            Some("1909"),
            18363,
            Some(1016)
        )
    );
    assert_eq!(
        (m.os.arch, m.os.service_pack),
        (kbgap_domain::Arch::X64, None)
    );
    assert_eq!(m.installed_kbs.len(), 3);
    assert_eq!(
        m.applications[0].publisher.as_deref(),
        Some("Microsoft Corporation")
    );
}
