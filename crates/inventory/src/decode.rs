//! Bytes to text: inventories arrive in whatever encoding the machine's shell wrote.
//!
//! `systeminfo > file` from cmd.exe writes the OEM code page (CP437 in the US, CP850 in
//! Western Europe, CP866 in Russia, CP932 in Japan...), PowerShell 5 redirection writes
//! UTF-16LE with a BOM, `wmic` writes UTF-16LE (on XP after an ASCII "Please wait while WMIC
//! is being installed." line), and copies pass through editors that save UTF-8 or
//! Windows-1252. Nothing in the file says which, so the order is:
//!
//! 1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE);
//! 2. UTF-16 without BOM, recognised by its NUL high bytes (an ASCII prefix is kept);
//! 3. valid UTF-8;
//! 4. else a legacy code page, chosen by which decoding gives the most plausible letters:
//!    accented letters inside words in the word's case, Cyrillic next to Cyrillic, kana and
//!    ideographs together, a no-break space between digits (the thousands separator OEM pages
//!    print), and no box-drawing, control or Greek characters in the middle of words.
//!
//! CP437 and CP850 are not in `encoding_rs` (a WHATWG library), so their high halves are
//! tables here (from the Unicode consortium's mapping files, as Python's codecs ship them).

use encoding_rs::{
    BIG5, EUC_KR, Encoding, GBK, IBM866, SHIFT_JIS, UTF_16BE, UTF_16LE, WINDOWS_1251, WINDOWS_1252,
};

/// Decodes an inventory file to text; never fails (undecodable bytes become U+FFFD or the
/// code page's character). A leading byte order mark is removed.
pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(encoding, &bytes[bom_len..]);
    }
    if let Some(text) = utf16_without_bom(bytes) {
        return text;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    legacy(bytes)
}

fn decode_with(encoding: &'static Encoding, bytes: &[u8]) -> String {
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// UTF-16 text has a NUL in the high byte of every ASCII character. A file whose NULs sit in
/// every other byte is UTF-16: little-endian when the first NUL follows a character, big-endian
/// when the file starts with one. Bytes before the first character (XP's WMIC banner) are kept
/// as text of their own.
fn utf16_without_bom(bytes: &[u8]) -> Option<String> {
    const SAMPLE: usize = 8192;
    let first_nul = bytes.iter().take(SAMPLE).position(|&b| b == 0)?;
    let (start, encoding, high_parity) = if first_nul == 0 {
        (0, UTF_16BE, 0)
    } else {
        (first_nul - 1, UTF_16LE, 1)
    };
    let region = &bytes[start..];
    let sample = &region[..region.len().min(SAMPLE)];
    let units = sample.len() / 2;
    if units < 2 {
        return None;
    }
    let (mut high, mut low) = (0usize, 0usize);
    for (i, &b) in sample.iter().enumerate() {
        if b == 0 {
            if i % 2 == high_parity {
                high += 1;
            } else {
                low += 1;
            }
        }
    }
    // At least a quarter of the units are ASCII-range characters, and NULs elsewhere are rare.
    if high * 4 < units || low * 8 > high {
        return None;
    }
    let mut text = String::from_utf8_lossy(&bytes[..start]).into_owned();
    text.push_str(&decode_with(encoding, region));
    Some(text)
}

/// The legacy code pages an inventory may come in, most likely first (ties go to the first).
#[derive(Clone, Copy)]
enum CodePage {
    Table(&'static [char; 128]),
    Single(&'static Encoding),
    Double(&'static Encoding),
}

const CANDIDATES: [CodePage; 9] = [
    CodePage::Table(&CP850),
    CodePage::Table(&CP437),
    CodePage::Single(WINDOWS_1252),
    CodePage::Single(IBM866),
    CodePage::Single(WINDOWS_1251),
    // Korean before Chinese: Hangul in EUC-KR is also valid, common GB2312 text.
    CodePage::Double(EUC_KR),
    CodePage::Double(GBK),
    CodePage::Double(SHIFT_JIS),
    CodePage::Double(BIG5),
];

fn legacy(bytes: &[u8]) -> String {
    let mut best: Option<(i64, String)> = None;
    for page in CANDIDATES {
        let (text, double) = match page {
            CodePage::Table(table) => (decode_table(table, bytes), None),
            CodePage::Single(encoding) => (decode_with(encoding, bytes), None),
            CodePage::Double(encoding) => {
                match encoding.decode_without_bom_handling_and_without_replacement(bytes) {
                    Some(text) => (text.into_owned(), Some(encoding)),
                    None => continue,
                }
            }
        };
        let score = plausibility(&text, double);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, text));
        }
    }
    best.map(|(_, text)| text).unwrap_or_default()
}

fn decode_table(table: &[char; 128], bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b < 0x80 {
                b as char
            } else {
                table[usize::from(b - 0x80)]
            }
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
    Cjk,
    Hangul,
    Other,
}

fn script(c: char) -> Option<Script> {
    if !c.is_alphabetic() {
        return None;
    }
    Some(match c as u32 {
        0..=0x24F => Script::Latin,
        0x370..=0x3FF => Script::Greek,
        0x400..=0x4FF => Script::Cyrillic,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => Script::Cjk,
        0xAC00..=0xD7A3 | 0x1100..=0x11FF | 0x3130..=0x318F => Script::Hangul,
        _ => Script::Other,
    })
}

/// How plausible a decoding is as inventory text: the sum of a score per non-ASCII character
/// (counted once per byte it took, so that double-byte pages are not favoured or penalised
/// for having fewer characters). For a double-byte page, characters outside its common
/// region (what another page's bytes decode to) count against it.
fn plausibility(text: &str, double: Option<&'static Encoding>) -> i64 {
    let chars: Vec<char> = text.chars().collect();
    let mut total = 0i64;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii() {
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        total += match double {
            None => char_score(c, prev, next),
            Some(encoding) if !common_in(encoding, c) => -2,
            Some(_) => char_score(c, prev, next) * 2,
        };
    }
    total
}

/// Whether `c` is in the frequently used part of a double-byte code page: GB2312's symbols and
/// level-1 hanzi, Shift_JIS's kana and level-1 kanji, Big5's frequent characters, EUC-KR's
/// symbols and Hangul syllables.
fn common_in(encoding: &'static Encoding, c: char) -> bool {
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = encoding.encode(c.encode_utf8(&mut buf));
    if unmappable || bytes.len() != 2 {
        return bytes.len() == 1 && !unmappable;
    }
    let (lead, trail) = (bytes[0], bytes[1]);
    if encoding == GBK {
        trail >= 0xA1 && ((0xA1..=0xA9).contains(&lead) || (0xB0..=0xF7).contains(&lead))
    } else if encoding == SHIFT_JIS {
        (0x81..=0x84).contains(&lead) || (0x88..=0x98).contains(&lead)
    } else if encoding == BIG5 {
        (0xA1..=0xC6).contains(&lead)
    } else {
        ((0xA1..=0xAC).contains(&lead) || (0xB0..=0xC8).contains(&lead)) && trail >= 0xA1
    }
}

fn char_score(c: char, prev: Option<char>, next: Option<char>) -> i64 {
    let code = c as u32;
    let digit = |o: Option<char>| o.is_some_and(|x| x.is_ascii_digit());
    let letter_before = prev.is_some_and(char::is_alphabetic);
    match code {
        0x80..=0x9F | 0xFFFD | 0xE000..=0xF8FF => return -10,
        0xA0 => return if digit(prev) && digit(next) { 2 } else { 0 },
        0xAE | 0x2122 => return if letter_before { 3 } else { 0 },
        0x2500..=0x25FF => return -3,
        0x2200..=0x23FF => return -2,
        0xFF61..=0xFF9F => return -2,
        0x3000..=0x303F | 0xFF01..=0xFF60 => return 1,
        _ => {}
    }
    let Some(own) = script(c) else { return 0 };
    if own == Script::Greek || own == Script::Other {
        return -2;
    }
    // Accented Latin letters sit among ASCII letters ("Versión", "ação"); runs of them
    // ("Èìÿ óçëà") are another script read in a Latin code page. Other scripts run together.
    let same = |o: Option<char>| match own {
        Script::Latin => o.is_some_and(|x| x.is_ascii_alphabetic()),
        _ => o.and_then(script).is_some_and(|s| s == own),
    };
    if !same(prev) && !same(next) {
        return -1;
    }
    // An upper-case letter right after a lower-case one ("SystÞme") is a wrong code page.
    if c.is_uppercase() && prev.is_some_and(char::is_lowercase) {
        return -1;
    }
    2
}

/// IBM code page 437 (MS-DOS United States), bytes 0x80..=0xFF.
#[rustfmt::skip]
const CP437: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}', '\u{00E7}', '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}', '\u{00C4}', '\u{00C5}',
    '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}', '\u{00F2}', '\u{00FB}', '\u{00F9}', '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00A2}', '\u{00A3}', '\u{00A5}', '\u{20A7}', '\u{0192}',
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}', '\u{00BA}', '\u{00BF}', '\u{2310}', '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}', '\u{00BB}',
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{2561}', '\u{2562}', '\u{2556}', '\u{2555}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{255C}', '\u{255B}', '\u{2510}',
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{255E}', '\u{255F}', '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{2567}',
    '\u{2568}', '\u{2564}', '\u{2565}', '\u{2559}', '\u{2558}', '\u{2552}', '\u{2553}', '\u{256B}', '\u{256A}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{258C}', '\u{2590}', '\u{2580}',
    '\u{03B1}', '\u{00DF}', '\u{0393}', '\u{03C0}', '\u{03A3}', '\u{03C3}', '\u{00B5}', '\u{03C4}', '\u{03A6}', '\u{0398}', '\u{03A9}', '\u{03B4}', '\u{221E}', '\u{03C6}', '\u{03B5}', '\u{2229}',
    '\u{2261}', '\u{00B1}', '\u{2265}', '\u{2264}', '\u{2320}', '\u{2321}', '\u{00F7}', '\u{2248}', '\u{00B0}', '\u{2219}', '\u{00B7}', '\u{221A}', '\u{207F}', '\u{00B2}', '\u{25A0}', '\u{00A0}',
];

/// IBM code page 850 (MS-DOS Latin-1, Western Europe), bytes 0x80..=0xFF.
#[rustfmt::skip]
const CP850: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}', '\u{00E7}', '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}', '\u{00C4}', '\u{00C5}',
    '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}', '\u{00F2}', '\u{00FB}', '\u{00F9}', '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00F8}', '\u{00A3}', '\u{00D8}', '\u{00D7}', '\u{0192}',
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}', '\u{00BA}', '\u{00BF}', '\u{00AE}', '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}', '\u{00BB}',
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}', '\u{00C0}', '\u{00A9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{00A2}', '\u{00A5}', '\u{2510}',
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{00E3}', '\u{00C3}', '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{00A4}',
    '\u{00F0}', '\u{00D0}', '\u{00CA}', '\u{00CB}', '\u{00C8}', '\u{0131}', '\u{00CD}', '\u{00CE}', '\u{00CF}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{00A6}', '\u{00CC}', '\u{2580}',
    '\u{00D3}', '\u{00DF}', '\u{00D4}', '\u{00D2}', '\u{00F5}', '\u{00D5}', '\u{00B5}', '\u{00FE}', '\u{00DE}', '\u{00DA}', '\u{00DB}', '\u{00D9}', '\u{00FD}', '\u{00DD}', '\u{00AF}', '\u{00B4}',
    '\u{00AD}', '\u{00B1}', '\u{2017}', '\u{00BE}', '\u{00B6}', '\u{00A7}', '\u{00F7}', '\u{00B8}', '\u{00B0}', '\u{00A8}', '\u{00B7}', '\u{00B9}', '\u{00B3}', '\u{00B2}', '\u{25A0}', '\u{00A0}',
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes text to CP850 (characters outside it become `?`).
    fn encode_cp850(text: &str) -> Vec<u8> {
        text.chars()
            .map(|c| {
                if c.is_ascii() {
                    c as u8
                } else {
                    CP850
                        .iter()
                        .position(|&t| t == c)
                        .map_or(b'?', |i| 0x80 + i as u8)
                }
            })
            .collect()
    }

    #[test]
    fn boms_and_bomless_utf16() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc"), "abc");
        assert_eq!(decode(b"\xFF\xFEa\0b\0"), "ab");
        assert_eq!(decode(b"\xFE\xFF\0a\0b"), "ab");
        assert_eq!(decode(b"H\0o\0s\0t\0:\0 \0\xE9\0"), "Host: é");
        assert_eq!(decode(b"\0H\0o\0s\0t\0:\0 \0\xE9"), "Host: é");
        // XP's WMIC: an ASCII banner, then UTF-16LE without BOM.
        assert_eq!(
            decode(b"Please wait.C\0a\0p\0t\0i\0o\0n\0"),
            "Please wait.Caption"
        );
    }

    #[test]
    fn oem_and_ansi_code_pages() {
        // CP850 from a Spanish cmd.exe: "Versión ... Compilación"; CP437 no-break space.
        assert_eq!(
            decode(b"Versi\xA2n: 10.0.17763 N/D Compilaci\xA2n 17763"),
            "Versión: 10.0.17763 N/D Compilación 17763"
        );
        assert_eq!(
            decode(b"Total Physical Memory:     32\xFF503 MB"),
            "Total Physical Memory:     32\u{A0}503 MB"
        );
        // Windows-1252: "Système d'exploitation", "Versión".
        assert_eq!(
            decode(b"Nom du syst\xE8me d'exploitation: Versi\xF3n"),
            "Nom du système d'exploitation: Versión"
        );
        // CP850 French: "Système" is 0x8A in CP850.
        assert_eq!(
            decode(b"Nom du syst\x8Ame d'exploitation"),
            "Nom du système d'exploitation"
        );
        assert_eq!(
            decode(&encode_cp850(
                "Ubicación(es) de archivo de paginación: ñandú"
            )),
            "Ubicación(es) de archivo de paginación: ñandú"
        );
    }

    #[test]
    fn cyrillic_and_cjk_code_pages() {
        for (encoding, text) in [
            (
                IBM866,
                "Имя узла:                 WIN7\r\nНазвание ОС:              Майкрософт Windows 7 Максимальная",
            ),
            (
                WINDOWS_1251,
                "Имя узла:                 WIN7\r\nНазвание ОС:              Майкрософт Windows 7 Максимальная",
            ),
            (
                SHIFT_JIS,
                "ホスト名:                 WIN10\r\nOS 名:                    Microsoft Windows 10 Pro\r\nシステムの種類:           x64-based PC",
            ),
            (
                EUC_KR,
                "호스트 이름:             WIN10\r\nOS 이름:                  Microsoft Windows 10 Pro\r\n시스템 종류:              x64-based PC",
            ),
            (
                BIG5,
                "主機名稱:         WIN10\r\nOS 名稱:          Microsoft Windows 10 專業版\r\n系統類型:         x64-based PC",
            ),
            (
                GBK,
                "主机名:           WIN10\r\nOS 名称:          Microsoft Windows 10 专业版\r\n系统类型:         x64-based PC",
            ),
        ] {
            let (bytes, _, unmappable) = encoding.encode(text);
            assert!(!unmappable);
            assert_eq!(decode(&bytes), text, "{}", encoding.name());
        }
    }

    #[test]
    fn tables_match_unicode_for_a_few_known_bytes() {
        assert_eq!(CP437[0x82 - 0x80], 'é');
        assert_eq!(CP437[0xC9 - 0x80], '╔');
        assert_eq!(CP850[0xC7 - 0x80], 'Ã');
        assert_eq!(CP850[0xFF - 0x80], '\u{A0}');
        assert_eq!(encode_cp850("ñé"), vec![0xA4, 0x82]);
    }
}
