//! KB numbers as hotfix listings spell them.
//!
//! systeminfo and `Win32_QuickFixEngineering` write `KB4486553`, `KB893803v2`,
//! `KB2909921-IE8`, `KB2378111_WM9`, old `Q147222` article numbers (Q was the KB prefix before
//! 2003), bare `943729` (Vista), and non-updates such as `File 1` or `{GUID}`.

use kbgap_domain::Kb;

/// The KB of a hotfix id: `KB` or `Q` followed by digits (anything may follow the digits), or,
/// when `bare` is allowed, a cell of digits only. `File 1`, GUIDs and empty cells give `None`.
pub(crate) fn kb_of_hotfix_id(text: &str, bare: bool) -> Option<Kb> {
    let t = text.trim();
    let b = t.as_bytes();
    let digits_from = |start: usize| {
        let end = b[start..]
            .iter()
            .position(|c| !c.is_ascii_digit())
            .map_or(b.len(), |p| start + p);
        (end > start && end - start <= 8)
            .then(|| t[start..end].parse::<u32>().ok())
            .flatten()
    };
    let number = if b.len() > 2 && b[..2].eq_ignore_ascii_case(b"KB") && b[2].is_ascii_digit() {
        digits_from(2)
    } else if b.len() > 1 && (b[0] == b'Q' || b[0] == b'q') && b[1].is_ascii_digit() {
        // Q147222: the digits must be the whole token.
        digits_from(1).filter(|_| b[1..].iter().all(u8::is_ascii_digit))
    } else if bare && !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
        digits_from(0)
    } else {
        None
    };
    number.and_then(|n| Kb::new(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb(t: &str) -> Option<u32> {
        kb_of_hotfix_id(t, true).map(Kb::number)
    }

    #[test]
    fn spellings() {
        assert_eq!(kb("KB4486553"), Some(4486553));
        assert_eq!(kb("KB893803v2 - Update"), Some(893803));
        assert_eq!(kb("KB2909921-IE8 - Update"), Some(2909921));
        assert_eq!(kb("KB2803821-v2_WM9"), Some(2803821));
        assert_eq!(kb("kb2378111_WM9"), Some(2378111));
        assert_eq!(kb("Q147222"), Some(147222));
        assert_eq!(kb("943729"), Some(943729));
        assert_eq!(kb_of_hotfix_id("943729", false), None);
        assert_eq!(kb("File 1"), None);
        assert_eq!(kb("{7A068575-C5DB-43D9-BE20-3895D0C69B17}"), None);
        assert_eq!(kb("KB"), None);
        assert_eq!(kb("Quality"), None);
        assert_eq!(kb("KB123456789"), None);
        assert_eq!(kb(""), None);
    }
}
