//! Dotted program versions (`120.0.2210.133`, `17.8.5`), for the products Microsoft services
//! by version instead of by KB: Edge (Chromium), Visual Studio 2017 and later, Visual Studio
//! Code. MSRC names the version that fixes a vulnerability (`FixedBuild`); an inventory names
//! the version installed (the `Uninstall` key's `DisplayVersion`). Comparing them is numeric
//! per part, a missing part counting as 0 (`17.8` = `17.8.0`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A version of two or more numeric parts. Serialized as its text.
#[derive(Debug, Clone, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Version {
    parts: Vec<u64>,
}

/// Why a text is not a [`Version`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionError(String);

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a dotted version (two or more numbers separated by dots)",
            self.0
        )
    }
}

impl std::error::Error for VersionError {}

impl Version {
    /// The parts, most significant first.
    pub fn parts(&self) -> &[u64] {
        &self.parts
    }

    /// The first part (`120` of `120.0.2210.133`).
    pub fn major(&self) -> u64 {
        self.parts[0]
    }
}

impl FromStr for Version {
    type Err = VersionError;

    /// Strict: every part all digits (at most 18 of them), at least two parts, nothing else
    /// around them but white space. MSRC's FixedBuild also holds package releases
    /// (`2.28-12`), list separators (`2,82`), URLs and dates, none of which is a version to
    /// compare with an installed program.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || VersionError(text.to_string());
        let parts: Vec<u64> = text
            .trim()
            .split('.')
            .map(|part| {
                if part.is_empty() || part.len() > 18 || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(error());
                }
                part.parse().map_err(|_| error())
            })
            .collect::<Result<_, _>>()?;
        if parts.len() < 2 {
            return Err(error());
        }
        Ok(Version { parts })
    }
}

impl From<Version> for String {
    fn from(version: Version) -> String {
        version.to_string()
    }
}

impl TryFrom<String> for Version {
    type Error = VersionError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.parts.len().max(other.parts.len());
        let part = |v: &Version, i: usize| v.parts.get(i).copied().unwrap_or(0);
        (0..len)
            .map(|i| part(self, i).cmp(&part(other, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl std::hash::Hash for Version {
    /// Consistent with equality: trailing zero parts do not count (`17.8` = `17.8.0`).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let significant = self
            .parts
            .iter()
            .rposition(|&p| p != 0)
            .map_or(0, |i| i + 1);
        self.parts[..significant].hash(state);
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    #[test]
    fn versions_compare_by_number_per_part() {
        assert!(v("120.0.2210.133") > v("120.0.2210.121"));
        assert!(v("121.0.2277.83") > v("120.0.2210.160"));
        assert!(v("17.10.1") > v("17.8.5"));
        assert_eq!(v("17.8"), v("17.8.0"));
        let set: std::collections::HashSet<Version> = [v("17.8"), v("17.8.0")].into();
        assert_eq!(set.len(), 1, "equal versions are one key");
        assert!(v("17.8.0.1") > v("17.8"));
        assert_eq!(v(" 16.11.34 ").to_string(), "16.11.34");
        assert_eq!(v("120.0.2210.133").major(), 120);
    }

    proptest::proptest! {
        #[test]
        fn display_round_trips_and_order_is_numeric(
            a in proptest::collection::vec(0u64..100_000, 2..6),
            b in proptest::collection::vec(0u64..100_000, 2..6),
        ) {
            let text = |parts: &[u64]| parts.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
            let (va, vb): (Version, Version) = (text(&a).parse().unwrap(), text(&b).parse().unwrap());
            proptest::prop_assert_eq!(va.to_string().parse::<Version>().unwrap(), va.clone());
            // Missing parts count as 0, then the parts compare as numbers.
            let len = a.len().max(b.len());
            let pad = |p: &[u64]| (0..len).map(|i| p.get(i).copied().unwrap_or(0)).collect::<Vec<_>>();
            proptest::prop_assert_eq!(va.cmp(&vb), pad(&a).cmp(&pad(&b)));
            // Equal versions hash alike (17.8 and 17.8.0 are one key).
            if va == vb {
                let hash = |v: &Version| {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    v.hash(&mut h);
                    h.finish()
                };
                proptest::prop_assert_eq!(hash(&va), hash(&vb));
            }
        }

        #[test]
        fn parsing_never_panics(s in "\\PC*") {
            let _ = s.parse::<Version>();
        }
    }

    #[test]
    fn only_dotted_numbers_are_versions() {
        for text in [
            "",
            "17",
            "2.28-12",
            "2,82",
            "1.2.",
            ".1.2",
            "1..2",
            "v1.2",
            "1.2 beta",
            "https://aka.ms/OfficeSecurityReleases",
            "1.99999999999999999999",
        ] {
            assert!(text.parse::<Version>().is_err(), "{text:?}");
        }
    }
}
