//! Which OS build revision each Windows cumulative update brings.
//!
//! Since Windows 10, every monthly cumulative update (LCU) of a release raises the build's
//! update revision (UBR: the `.348` of 10.0.17763.348), and a machine at revision *r* contains
//! every cumulative update of its build line up to *r*, whichever of them its hotfix list
//! shows. Two facts follow, and the engine needs both:
//! - a machine known only by its hotfix list has the revision of the newest cumulative update
//!   it lists, *including previews and out-of-band releases* (a preview contains the previous
//!   security update, which then drops out of `Win32_QuickFixEngineering`);
//! - a machine known by its revision (osquery, the JSON collector) has every cumulative update
//!   of its build line at or below it, listed or not.
//!
//! MSRC's CVRF documents carry `FixedBuild` only from 2021-04 on, and only for security
//! updates; previews (the "C"/"D" releases) and out-of-band releases are in no security
//! catalog. So kbgap ships its own table, `data/os-builds.csv`, transcribed from Microsoft's
//! public release-information pages (the sources are listed in `data/README.md`, and each row
//! names its source). The engine merges it with the FixedBuild values of the imported catalog.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::OnceLock;

use kbgap_domain::{Date, Kb};

use crate::error::{Error, Location, Result};

/// What kind of cumulative update a row is (Microsoft's "B", "C"/"D" and "OOB" releases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BuildKind {
    /// The monthly security update (Patch Tuesday, "B").
    Security,
    /// An optional non-security preview ("C" or "D"); it contains the previous security update.
    Preview,
    /// An out-of-band release.
    OutOfBand,
    /// Released outside Patch Tuesday, by a source that does not say whether as a preview or
    /// out of band (`data/README.md` says which rows).
    Other,
}

impl BuildKind {
    /// The spelling of the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            BuildKind::Security => "security",
            BuildKind::Preview => "preview",
            BuildKind::OutOfBand => "oob",
            BuildKind::Other => "other",
        }
    }

    fn parse(text: &str) -> Option<BuildKind> {
        match text {
            "security" => Some(BuildKind::Security),
            "preview" => Some(BuildKind::Preview),
            "oob" => Some(BuildKind::OutOfBand),
            "other" => Some(BuildKind::Other),
            _ => None,
        }
    }
}

impl fmt::Display for BuildKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One cumulative update and the build it brings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsBuild {
    pub kb: Kb,
    /// The base build of the release line (17763 for Windows 10 1809 and Server 2019).
    pub build: u32,
    /// The update build revision the KB brings (348).
    pub revision: u32,
    pub date: Date,
    pub kind: BuildKind,
    /// Short name of the page the row was read from (see `data/README.md`).
    pub source: String,
}

/// The header `parse_os_builds` expects.
pub const OS_BUILD_COLUMNS: [&str; 5] = ["kb", "os_build", "date", "kind", "source"];

/// Parses a build table: a CSV with the header [`OS_BUILD_COLUMNS`], one cumulative update a
/// line (`KB4482887,17763.348,2019-03-01,preview,ms-server-release-info`).
pub fn parse_os_builds(input: impl Read) -> Result<Vec<OsBuild>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| Error::invalid(Some(Location::Line(1)), e.to_string()))?
        .clone();
    if header.iter().ne(OS_BUILD_COLUMNS) {
        return Err(Error::invalid(
            Some(Location::Line(1)),
            format!(
                "not an OS build table header: expected {:?}, found {:?}",
                OS_BUILD_COLUMNS.join(","),
                header.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    }
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let at = Location::Record {
            record: index as u64 + 1,
            line: index as u64 + 2,
        };
        let record = record.map_err(|e| Error::invalid(Some(at), e.to_string()))?;
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let bad = |what: &str, value: &str| Error::invalid(Some(at), format!("{what} {value:?}"));
        let kb: Kb = field(0).parse().map_err(|_| bad("not a KB:", field(0)))?;
        let (build, revision) = field(1)
            .split_once('.')
            .and_then(|(b, r)| Some((b.parse().ok()?, r.parse().ok()?)))
            .ok_or_else(|| bad("not a build.revision:", field(1)))?;
        let date: Date = field(2).parse().map_err(|_| bad("not a date:", field(2)))?;
        let kind = BuildKind::parse(field(3))
            .ok_or_else(|| bad("not a kind (security, preview, oob, other):", field(3)))?;
        if field(4).is_empty() {
            return Err(bad("no source:", field(4)));
        }
        rows.push(OsBuild {
            kb,
            build,
            revision,
            date,
            kind,
            source: field(4).to_string(),
        });
    }
    Ok(rows)
}

/// A build table indexed by build line.
#[derive(Debug, Clone, Default)]
pub struct BuildTable {
    /// build → its cumulative updates, by revision.
    lines: HashMap<u32, Vec<OsBuild>>,
}

impl BuildTable {
    pub fn new(rows: impl IntoIterator<Item = OsBuild>) -> BuildTable {
        let mut lines: HashMap<u32, Vec<OsBuild>> = HashMap::new();
        for row in rows {
            lines.entry(row.build).or_default().push(row);
        }
        for line in lines.values_mut() {
            line.sort_by_key(|r| (r.revision, r.kb));
        }
        BuildTable { lines }
    }

    /// The cumulative updates of one build line, lowest revision first.
    pub fn line(&self, build: u32) -> &[OsBuild] {
        self.lines
            .get(&build)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The row of `kb` on build line `build`, if the table has one.
    pub fn find(&self, build: u32, kb: Kb) -> Option<&OsBuild> {
        self.line(build).iter().find(|r| r.kb == kb)
    }

    /// How many rows the table holds.
    pub fn len(&self) -> usize {
        self.lines.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// The table shipped with kbgap (`data/os-builds.csv`), parsed once.
pub fn os_builds() -> &'static BuildTable {
    static TABLE: OnceLock<BuildTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rows = parse_os_builds(include_str!("../data/os-builds.csv").as_bytes())
            .expect("the shipped OS build table parses (checked by its tests)");
        BuildTable::new(rows)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb(n: u32) -> Kb {
        Kb::new(n).unwrap()
    }

    #[test]
    fn the_shipped_table_parses_and_is_consistent() {
        let table = os_builds();
        assert!(table.len() > 1000, "{}", table.len());
        let lines = [
            14393, 17134, 17763, 18362, 18363, 19041, 19042, 19043, 19044, 19045, 20348, 22000,
            22621, 22631, 26100, 26200,
        ];
        for build in lines {
            let line = table.line(build);
            assert!(!line.is_empty(), "{build}");
            // Within a build line as one source lists it, a later revision is never released
            // earlier. (Sources are checked apart: from 2026-01 Windows Server 2025 is serviced
            // at 26100.32xxx while Windows 11 24H2 stays at 26100.7xxx-8xxx.)
            let mut by_source: HashMap<&str, Vec<&OsBuild>> = HashMap::new();
            for row in line {
                by_source.entry(row.source.as_str()).or_default().push(row);
            }
            for rows in by_source.values() {
                for pair in rows.windows(2) {
                    assert!(
                        pair[0].date <= pair[1].date,
                        "{:?} / {:?}",
                        pair[0],
                        pair[1]
                    );
                }
            }
        }
        // The Windows 10 1809 / Server 2019 releases of early 2019, as Microsoft lists them.
        let feb_security = table.find(17763, kb(4487044)).unwrap();
        assert_eq!(
            (feb_security.revision, feb_security.kind),
            (316, BuildKind::Security)
        );
        assert_eq!(feb_security.date.to_string(), "2019-02-12");
        let feb_preview = table.find(17763, kb(4482887)).unwrap();
        assert_eq!(
            (feb_preview.revision, feb_preview.kind),
            (348, BuildKind::Preview)
        );
        let oob = table.find(17763, kb(4483235)).unwrap();
        assert_eq!((oob.revision, oob.kind), (195, BuildKind::OutOfBand));
        assert!(table.find(14393, kb(4487044)).is_none());
        // One KB, several build lines: Windows 10 1903 and 1909 share their updates.
        let march_2020 = kb(4540673);
        assert_eq!(table.find(18362, march_2020).unwrap().revision, 719);
        assert_eq!(table.find(18363, march_2020).unwrap().revision, 719);
        // A KB released twice with two revisions (KB5055528: 22631.5189, then .5191) keeps
        // the lower one: a machine listing it has at least that.
        assert_eq!(table.find(22631, kb(5055528)).unwrap().revision, 5189);
    }

    #[test]
    fn rows_are_checked() {
        let parse = |body: &str| {
            parse_os_builds(format!("kb,os_build,date,kind,source\n{body}\n").as_bytes())
        };
        let row = parse("KB4482887,17763.348,2019-03-01,preview,ms").unwrap();
        assert_eq!(
            row,
            vec![OsBuild {
                kb: kb(4482887),
                build: 17763,
                revision: 348,
                date: "2019-03-01".parse().unwrap(),
                kind: BuildKind::Preview,
                source: "ms".into(),
            }]
        );
        for (body, message) in [
            ("KB44,17763.348,2019-03-01,preview,ms", "not a KB"),
            (
                "KB4482887,17763,2019-03-01,preview,ms",
                "not a build.revision",
            ),
            (
                "KB4482887,17763.x,2019-03-01,preview,ms",
                "not a build.revision",
            ),
            ("KB4482887,17763.348,2019-02-30,preview,ms", "not a date"),
            ("KB4482887,17763.348,2019-03-01,D,ms", "not a kind"),
            ("KB4482887,17763.348,2019-03-01,preview,", "no source"),
        ] {
            let error = parse(body).unwrap_err().to_string();
            assert!(error.contains(message), "{body}: {error}");
            assert!(error.starts_with("record 1 (line 2)"), "{error}");
        }
        let error = parse_os_builds("kb,build\nKB1,1.1\n".as_bytes()).unwrap_err();
        assert!(
            error.to_string().contains("not an OS build table header"),
            "{error}"
        );
    }
}
