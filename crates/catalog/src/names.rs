//! Normalization of the free-text fields both catalogs share: product names, vulnerability
//! ids, KB fields, supersedence lists and severities.
//!
//! Microsoft's data has double spaces and trailing blanks in product names ("Windows Server
//! 2016  "), upper- and lower-case variants of ids, supersedence lists joined by `,`, `;`,
//! new lines or even `<br><br>`. These helpers decide once how each is read, so the two
//! parsers agree.

use std::borrow::Cow;
use std::str::FromStr;

use kbgap_domain::Kb;

/// Collapses runs of white space into one space and trims: "Windows Server 2019  (Server
/// Core installation)" → "Windows Server 2019 (Server Core installation)". Borrows when the
/// name is already clean.
pub fn normalize_product_name(name: &str) -> Cow<'_, str> {
    let clean = !name.starts_with(char::is_whitespace)
        && !name.ends_with(char::is_whitespace)
        && !name
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
        && !name.chars().any(|c| c.is_whitespace() && c != ' ');
    if clean {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// A KB field: `Some(kb)` for a KB number (`4540673`, `KB4540673`), `None` otherwise.
pub(crate) fn kb_field(text: &str) -> KbField {
    let t = text.trim();
    if t.is_empty() {
        KbField::Empty
    } else {
        Kb::from_str(t).map_or(KbField::NotNumeric, KbField::Kb)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KbField {
    Kb(Kb),
    Empty,
    NotNumeric,
}

/// The canonical form of a vulnerability id: `CVE-2020-0001` or `ADV190008`, upper case.
///
/// Repairs the forms seen in WES-NG data (`cve-2012-0159`, `CVE20163247`); returns `None` for
/// anything else (a bare `CVE`, service-pack pseudo ids such as `SP81U1X86`, an empty field).
pub(crate) fn vuln_id(raw: &str) -> Option<Cow<'_, str>> {
    let t = raw.trim();
    if is_canonical_vuln_id(t) {
        return Some(Cow::Borrowed(t));
    }
    let upper = t.to_ascii_uppercase();
    if is_canonical_vuln_id(&upper) {
        return Some(Cow::Owned(upper));
    }
    // CVE20163247 → CVE-2016-3247
    let digits = upper.strip_prefix("CVE")?;
    if digits.len() >= 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Cow::Owned(format!("CVE-{}-{}", &digits[..4], &digits[4..])));
    }
    None
}

fn is_canonical_vuln_id(t: &str) -> bool {
    let b = t.as_bytes();
    if let Some(rest) = t.strip_prefix("CVE-") {
        let r = rest.as_bytes();
        r.len() >= 9
            && r[..4].iter().all(u8::is_ascii_digit)
            && r[4] == b'-'
            && r[5..].iter().all(u8::is_ascii_digit)
    } else {
        b.len() >= 9 && t.starts_with("ADV") && b[3..].iter().all(u8::is_ascii_digit)
    }
}

/// Reads a supersedence list (`4461989, 3142030, 2978041`, `4481481; 4481488`,
/// `3118389<br><br>4022173`, `3142037\n`) into `out`; returns how many tokens were not KB
/// numbers (bulletin ids such as `MS16-087`, `None`, version strings, HTML tags).
///
/// Tokens are runs of letters, digits, `.` and `-`; everything else separates them.
pub(crate) fn supersedence(text: &str, out: &mut Vec<Kb>) -> u64 {
    let mut dropped = 0;
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')) {
        if token.is_empty() {
            continue;
        }
        match Kb::from_str(token) {
            Ok(kb) => out.push(kb),
            Err(_) => dropped += 1,
        }
    }
    dropped
}

/// MSRC severity ratings, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    Unknown,
    Low,
    Moderate,
    Important,
    Critical,
}

impl Severity {
    pub(crate) fn rank(text: &str) -> Severity {
        let t = text.trim();
        if t.eq_ignore_ascii_case("critical") {
            Severity::Critical
        } else if t.eq_ignore_ascii_case("important") {
            Severity::Important
        } else if t.eq_ignore_ascii_case("moderate") {
            Severity::Moderate
        } else if t.eq_ignore_ascii_case("low") {
            Severity::Low
        } else {
            Severity::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_names_collapse_white_space() {
        assert_eq!(
            normalize_product_name("Windows Server 2016  "),
            "Windows Server 2016"
        );
        assert_eq!(
            normalize_product_name("Windows Server 2019  (Server Core installation)"),
            "Windows Server 2019 (Server Core installation)"
        );
        assert_eq!(normalize_product_name("a\tb\nc"), "a b c");
        assert!(matches!(
            normalize_product_name("Windows 10 for 32-bit Systems"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn vulnerability_ids_are_canonical() {
        assert_eq!(vuln_id("CVE-2020-0001").unwrap(), "CVE-2020-0001");
        assert_eq!(vuln_id(" cve-2012-0159 ").unwrap(), "CVE-2012-0159");
        assert_eq!(vuln_id("CVE20163247").unwrap(), "CVE-2016-3247");
        assert_eq!(vuln_id("ADV190008").unwrap(), "ADV190008");
        assert_eq!(vuln_id("CVE-2021-44228").unwrap(), "CVE-2021-44228");
        for bad in ["", "CVE", "SP81U1X86", "CVE-20-1", "ADV", "Release Notes"] {
            assert_eq!(vuln_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn supersedence_lists_in_all_spellings() {
        let mut out = Vec::new();
        let dropped = supersedence(
            "4461989, 3142030; 2978041\n3118389<br><br>4022173;MS16-087;None;20.0.1",
            &mut out,
        );
        let numbers: Vec<u32> = out.iter().map(|k| k.number()).collect();
        assert_eq!(numbers, [4461989, 3142030, 2978041, 3118389, 4022173]);
        assert_eq!(dropped, 5); // br, br, MS16-087, None, 20.0.1
    }

    #[test]
    fn kb_fields() {
        assert_eq!(kb_field("4540673"), KbField::Kb(Kb::new(4540673).unwrap()));
        assert_eq!(
            kb_field(" KB4540673 "),
            KbField::Kb(Kb::new(4540673).unwrap())
        );
        assert_eq!(kb_field(""), KbField::Empty);
        assert_eq!(kb_field("Release Notes"), KbField::NotNumeric);
        assert_eq!(kb_field("SP81X86"), KbField::NotNumeric);
        assert_eq!(kb_field("12"), KbField::NotNumeric);
    }

    #[test]
    fn severities_order() {
        assert!(Severity::rank("Critical") > Severity::rank("important"));
        assert!(Severity::rank("Low") > Severity::rank("n/a"));
    }
}
