//! Lines and display columns, the two things every text inventory is laid out in.

/// One line of a decoded file, with its 1-based number (for error messages).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    pub no: usize,
    pub text: &'a str,
}

/// Splits on `\n` and drops trailing `\r`s, so that `\r\n` and XP's `\r\r\n` both end one line.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.split('\n').enumerate().map(|(i, l)| Line {
        no: i + 1,
        text: l.trim_end_matches('\r'),
    })
}

/// How many terminal columns a character takes: 2 for East Asian wide and full-width
/// characters, 1 otherwise. Localized `systeminfo` pads its CJK labels by this width.
pub(crate) fn width(c: char) -> usize {
    match c as u32 {
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// Trims whitespace (including no-break spaces) from both ends of a char slice.
pub(crate) fn trim(chars: &[char]) -> &[char] {
    let start = chars
        .iter()
        .position(|c| !c.is_whitespace())
        .unwrap_or(chars.len());
    let end = chars
        .iter()
        .rposition(|c| !c.is_whitespace())
        .map_or(start, |e| e + 1);
    &chars[start..end.max(start)]
}

/// A short, quoted rendering of a value for error messages.
pub(crate) fn quote(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() > MAX {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut:?}...")
    } else {
        format!("{value:?}")
    }
}

/// Collapses runs of whitespace (no-break spaces included) to one space and trims.
pub(crate) fn normalize_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}
