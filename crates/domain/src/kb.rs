//! KB numbers: the unit of patching that Defender reports.

use std::fmt;
use std::str::FromStr;

/// A Microsoft Knowledge Base article number identifying an update, e.g. `KB4540673`.
///
/// Stored and compared as the number alone; displayed without the `KB` prefix, which is
/// how Defender's API returns it (`"id": "4540673"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct Kb(u32);

/// Reads `"4540673"`, `"KB4540673"` or `4540673` without allocating: catalog slices hold
/// tens of thousands of KBs and are read on every assessment.
impl<'de> serde::Deserialize<'de> for Kb {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Kb;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a KB number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Kb, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Kb, E> {
                u32::try_from(v)
                    .ok()
                    .and_then(|n| Kb::new(n).ok())
                    .ok_or_else(|| E::custom(KbError(v.to_string())))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a KB number: {0:?}")]
pub struct KbError(pub String);

impl Kb {
    /// The smallest and largest KB numbers Microsoft has used (KB articles have 5 to 7 digits).
    const MIN: u32 = 1_000;
    const MAX: u32 = 99_999_999;

    pub fn new(number: u32) -> Result<Self, KbError> {
        if (Self::MIN..=Self::MAX).contains(&number) {
            Ok(Kb(number))
        } else {
            Err(KbError(number.to_string()))
        }
    }

    pub fn number(self) -> u32 {
        self.0
    }

    /// The Microsoft Update Catalog search page for this KB, the `url` Defender returns.
    pub fn catalog_url(self) -> String {
        format!(
            "https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB{}",
            self.0
        )
    }

    /// Finds a KB number in free text such as `KB4486553`, `KB893803v2 - Update`,
    /// `http://support.microsoft.com/?kbid=2894852` or a bare `4540673`.
    ///
    /// Takes the first run of digits that follows `KB` (any case) or `kbid=`, or the whole
    /// trimmed text when it is only digits.
    pub fn find_in(text: &str) -> Option<Kb> {
        let trimmed = text.trim();
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return trimmed.parse().ok().and_then(|n| Kb::new(n).ok());
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while i + 2 < bytes.len() {
            if bytes[i].eq_ignore_ascii_case(&b'k') && bytes[i + 1].eq_ignore_ascii_case(&b'b') {
                let mut j = i + 2;
                if bytes[j..].len() >= 3 && bytes[j..j + 3].eq_ignore_ascii_case(b"id=") {
                    j += 3;
                }
                let start = j;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                if j > start
                    && j - start <= 8
                    && let Ok(kb) = text[start..j]
                        .parse::<u32>()
                        .map_err(|_| ())
                        .and_then(|n| Kb::new(n).map_err(|_| ()))
                {
                    return Some(kb);
                }
            }
            i += 1;
        }
        None
    }
}

impl FromStr for Kb {
    type Err = KbError;
    /// Accepts `4540673`, `KB4540673` and `kb4540673`; nothing else.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t
            .strip_prefix("KB")
            .or_else(|| t.strip_prefix("kb"))
            .or_else(|| t.strip_prefix("Kb"))
            .unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 8 {
            return Err(KbError(s.to_string()));
        }
        Kb::new(digits.parse().map_err(|_| KbError(s.to_string()))?)
            .map_err(|_| KbError(s.to_string()))
    }
}

impl From<Kb> for String {
    fn from(kb: Kb) -> String {
        kb.0.to_string()
    }
}

impl fmt::Display for Kb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_inventories_use() {
        assert_eq!("KB4540673".parse::<Kb>().unwrap().number(), 4540673);
        assert_eq!("4540673".parse::<Kb>().unwrap().number(), 4540673);
        assert!("KB".parse::<Kb>().is_err());
        assert!("Release Notes".parse::<Kb>().is_err());
        assert!("12".parse::<Kb>().is_err());
    }

    #[test]
    fn finds_kbs_in_free_text() {
        assert_eq!(Kb::find_in("[01]: KB4486553").unwrap().number(), 4486553);
        assert_eq!(Kb::find_in("KB893803v2 - Update").unwrap().number(), 893803);
        assert_eq!(
            Kb::find_in("http://support.microsoft.com/?kbid=2894852")
                .unwrap()
                .number(),
            2894852
        );
        assert_eq!(Kb::find_in("File 1"), None);
    }

    proptest::proptest! {
        #[test]
        fn display_round_trips(n in 1_000u32..99_999_999) {
            let kb = Kb::new(n).unwrap();
            proptest::prop_assert_eq!(kb.to_string().parse::<Kb>().unwrap(), kb);
        }

        #[test]
        fn find_in_never_panics(s in "\\PC*") {
            let _ = Kb::find_in(&s);
        }
    }
}
