//! Windows operating systems as inventories describe them and as MSRC names them.
//!
//! A machine's OS ([`OsInfo`]) and a catalog product's platform ([`OsTarget`]) are both
//! reduced to the same structured form (family, release, architecture, service pack) so that
//! matching never depends on the exact wording of a product name or on a display language.

use std::fmt;

/// A Windows product line. Client and server lines that share a build (Windows 10 1809 and
/// Windows Server 2019) are different families: MSRC lists them as different products.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum OsFamily {
    WindowsXp,
    WindowsServer2003,
    WindowsVista,
    WindowsServer2008,
    Windows7,
    WindowsServer2008R2,
    Windows8,
    WindowsServer2012,
    Windows81,
    WindowsRt81,
    WindowsServer2012R2,
    Windows10,
    WindowsServer2016,
    /// The semi-annual channel: "Windows Server, version 1903 (Server Core installation)".
    WindowsServerSac,
    WindowsServer2019,
    WindowsServer2022,
    Windows11,
    WindowsServer2025,
}

impl OsFamily {
    /// Every family, oldest first.
    pub const ALL: [OsFamily; 18] = [
        OsFamily::WindowsXp,
        OsFamily::WindowsServer2003,
        OsFamily::WindowsVista,
        OsFamily::WindowsServer2008,
        OsFamily::Windows7,
        OsFamily::WindowsServer2008R2,
        OsFamily::Windows8,
        OsFamily::WindowsServer2012,
        OsFamily::Windows81,
        OsFamily::WindowsRt81,
        OsFamily::WindowsServer2012R2,
        OsFamily::Windows10,
        OsFamily::WindowsServer2016,
        OsFamily::WindowsServerSac,
        OsFamily::WindowsServer2019,
        OsFamily::WindowsServer2022,
        OsFamily::Windows11,
        OsFamily::WindowsServer2025,
    ];

    /// Defender's `osPlatform` value.
    pub fn defender_platform(self) -> &'static str {
        match self {
            OsFamily::WindowsXp => "WindowsXp",
            OsFamily::WindowsServer2003 => "WindowsServer2003",
            OsFamily::WindowsVista => "WindowsVista",
            OsFamily::WindowsServer2008 => "WindowsServer2008",
            OsFamily::Windows7 => "Windows7",
            OsFamily::WindowsServer2008R2 => "WindowsServer2008R2",
            OsFamily::Windows8 => "Windows8",
            OsFamily::WindowsServer2012 => "WindowsServer2012",
            OsFamily::Windows81 | OsFamily::WindowsRt81 => "Windows8Blue",
            OsFamily::WindowsServer2012R2 => "WindowsServer2012R2",
            OsFamily::Windows10 => "Windows10",
            OsFamily::WindowsServer2016 => "WindowsServer2016",
            OsFamily::WindowsServerSac => "WindowsServer",
            OsFamily::WindowsServer2019 => "WindowsServer2019",
            OsFamily::WindowsServer2022 => "WindowsServer2022",
            OsFamily::Windows11 => "Windows11",
            OsFamily::WindowsServer2025 => "WindowsServer2025",
        }
    }

    /// The product part of the software id of this OS (`windows_10`, `windows_server_2019`).
    pub fn software_name(self) -> &'static str {
        match self {
            OsFamily::WindowsXp => "windows_xp",
            OsFamily::WindowsServer2003 => "windows_server_2003",
            OsFamily::WindowsVista => "windows_vista",
            OsFamily::WindowsServer2008 => "windows_server_2008",
            OsFamily::Windows7 => "windows_7",
            OsFamily::WindowsServer2008R2 => "windows_server_2008_r2",
            OsFamily::Windows8 => "windows_8",
            OsFamily::WindowsServer2012 => "windows_server_2012",
            OsFamily::Windows81 => "windows_8.1",
            OsFamily::WindowsRt81 => "windows_rt_8.1",
            OsFamily::WindowsServer2012R2 => "windows_server_2012_r2",
            OsFamily::Windows10 => "windows_10",
            OsFamily::WindowsServer2016 => "windows_server_2016",
            OsFamily::WindowsServerSac => "windows_server",
            OsFamily::WindowsServer2019 => "windows_server_2019",
            OsFamily::WindowsServer2022 => "windows_server_2022",
            OsFamily::Windows11 => "windows_11",
            OsFamily::WindowsServer2025 => "windows_server_2025",
        }
    }

    pub fn is_server(self) -> bool {
        matches!(
            self,
            OsFamily::WindowsServer2003
                | OsFamily::WindowsServer2008
                | OsFamily::WindowsServer2008R2
                | OsFamily::WindowsServer2012
                | OsFamily::WindowsServer2012R2
                | OsFamily::WindowsServer2016
                | OsFamily::WindowsServerSac
                | OsFamily::WindowsServer2019
                | OsFamily::WindowsServer2022
                | OsFamily::WindowsServer2025
        )
    }

    /// The release a product name leaves implicit: MSRC's "Windows 10 for x64-based Systems"
    /// is 1507 and "Windows 11 for x64-based Systems" is 21H2; LTSC servers have one release
    /// per family, named after their build.
    pub fn implicit_release(self) -> Option<&'static str> {
        match self {
            OsFamily::Windows10 => Some("1507"),
            OsFamily::Windows11 => Some("21H2"),
            OsFamily::WindowsServer2016 => Some("1607"),
            OsFamily::WindowsServer2019 => Some("1809"),
            OsFamily::WindowsServer2022 => Some("21H2"),
            OsFamily::WindowsServer2025 => Some("24H2"),
            _ => None,
        }
    }

    /// Picks the family from an OS name (`Microsoft Windows 10 Pro`, `Microsoft Windows Server
    /// 2008 R2 Standard`, `Microsoft® Windows Vista™ Business`) and the base build number.
    ///
    /// The product name is not translated by Windows, but editions are ("Professionnel"), so
    /// only the version tokens are read; the build decides where names are ambiguous
    /// (Windows 11 reports itself as "Windows 10" in some registry fields).
    pub fn from_name_and_build(name: &str, build: u32) -> Option<OsFamily> {
        let lower = name.to_lowercase();
        let server = lower.contains("server");
        let has = |t: &str| contains_token(&lower, t);
        let family = if server {
            if has("2025") {
                OsFamily::WindowsServer2025
            } else if has("2022") {
                OsFamily::WindowsServer2022
            } else if has("2019") {
                OsFamily::WindowsServer2019
            } else if has("2016") {
                OsFamily::WindowsServer2016
            } else if has("2012") {
                if has("r2") {
                    OsFamily::WindowsServer2012R2
                } else {
                    OsFamily::WindowsServer2012
                }
            } else if has("2008") {
                if has("r2") {
                    OsFamily::WindowsServer2008R2
                } else {
                    OsFamily::WindowsServer2008
                }
            } else if has("2003") {
                OsFamily::WindowsServer2003
            } else {
                return Self::from_build(build, true);
            }
        } else if has("xp") {
            OsFamily::WindowsXp
        } else if lower.contains("vista") {
            OsFamily::WindowsVista
        } else if has("7") {
            OsFamily::Windows7
        } else if has("8.1") {
            if has("rt") {
                OsFamily::WindowsRt81
            } else {
                OsFamily::Windows81
            }
        } else if has("8") {
            OsFamily::Windows8
        } else if has("10") || has("11") {
            if build >= 22000 {
                OsFamily::Windows11
            } else {
                OsFamily::Windows10
            }
        } else {
            return Self::from_build(build, false);
        };
        Some(family)
    }

    /// The family implied by a build number alone (used when the name says nothing useful).
    pub fn from_build(build: u32, server: bool) -> Option<OsFamily> {
        Some(match (build, server) {
            (2600, false) => OsFamily::WindowsXp,
            (3790, _) => OsFamily::WindowsServer2003,
            (6000..=6003, false) => OsFamily::WindowsVista,
            (6000..=6003, true) => OsFamily::WindowsServer2008,
            (7600 | 7601, false) => OsFamily::Windows7,
            (7600 | 7601, true) => OsFamily::WindowsServer2008R2,
            (9200, false) => OsFamily::Windows8,
            (9200, true) => OsFamily::WindowsServer2012,
            (9600, false) => OsFamily::Windows81,
            (9600, true) => OsFamily::WindowsServer2012R2,
            (14393, true) => OsFamily::WindowsServer2016,
            (17763, true) => OsFamily::WindowsServer2019,
            // Windows Server, version 23H2 names no year; MSRC files it as "Windows Server
            // 2022, 23H2 Edition".
            (20348 | 25398, true) => OsFamily::WindowsServer2022,
            (26100, true) => OsFamily::WindowsServer2025,
            (16299 | 17134 | 18362 | 18363 | 19041 | 19042, true) => OsFamily::WindowsServerSac,
            (10240..=19045, false) => OsFamily::Windows10,
            (22000.., false) => OsFamily::Windows11,
            _ => return None,
        })
    }
}

/// Whether `token` occurs in `text` delimited by non-alphanumeric characters.
pub(crate) fn contains_token(text: &str, token: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(token).any(|(i, _)| {
        let before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let end = i + token.len();
        // "8.1" must not match inside "8.10"; a version token ends where a non-digit/non-dot begins.
        let after = end >= bytes.len()
            || !(bytes[end].is_ascii_alphanumeric()
                || (bytes[end] == b'.'
                    && end + 1 < bytes.len()
                    && bytes[end + 1].is_ascii_digit()));
        before && after
    })
}

/// The Windows 10/11 and Server release for a base build number (`18363` → `1909`).
pub fn release_for_build(family: OsFamily, build: u32) -> Option<&'static str> {
    let release = match (family, build) {
        (OsFamily::Windows10, 10240) => "1507",
        (OsFamily::Windows10, 10586) => "1511",
        (OsFamily::Windows10 | OsFamily::WindowsServer2016, 14393) => "1607",
        (OsFamily::Windows10, 15063) => "1703",
        (OsFamily::Windows10 | OsFamily::WindowsServerSac, 16299) => "1709",
        (OsFamily::Windows10 | OsFamily::WindowsServerSac, 17134) => "1803",
        (OsFamily::Windows10 | OsFamily::WindowsServer2019, 17763) => "1809",
        (OsFamily::Windows10 | OsFamily::WindowsServerSac, 18362) => "1903",
        (OsFamily::Windows10 | OsFamily::WindowsServerSac, 18363) => "1909",
        (OsFamily::Windows10 | OsFamily::WindowsServerSac, 19041) => "2004",
        (OsFamily::Windows10 | OsFamily::WindowsServerSac, 19042) => "20H2",
        (OsFamily::Windows10, 19043) => "21H1",
        (OsFamily::Windows10, 19044) => "21H2",
        (OsFamily::Windows10, 19045) => "22H2",
        (OsFamily::WindowsServer2022, 20348) => "21H2",
        (OsFamily::WindowsServer2022, 25398) => "23H2",
        (OsFamily::Windows11, 22000) => "21H2",
        (OsFamily::Windows11, 22621) => "22H2",
        (OsFamily::Windows11, 22631) => "23H2",
        (OsFamily::Windows11 | OsFamily::WindowsServer2025, 26100) => "24H2",
        (OsFamily::Windows11, 26200) => "25H2",
        (OsFamily::Windows11, 28000) => "26H1",
        _ => return None,
    };
    Some(release)
}

/// The base build of a Windows 10/11/Server release (`1909` → `18363`), the inverse of
/// [`release_for_build`].
pub fn build_for_release(family: OsFamily, release: &str) -> Option<u32> {
    const BUILDS: [u32; 23] = [
        10240, 10586, 14393, 15063, 16299, 17134, 17763, 18362, 18363, 19041, 19042, 19043, 19044,
        19045, 20348, 25398, 22000, 22621, 22631, 26100, 26200, 28000, 9600,
    ];
    BUILDS
        .into_iter()
        .find(|&b| release_for_build(family, b).is_some_and(|r| r.eq_ignore_ascii_case(release)))
}

/// Processor architecture of an OS installation or a product build.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Arch {
    X86,
    X64,
    Arm64,
    Itanium,
}

impl Arch {
    /// Defender's `osArchitecture` value.
    pub fn defender_architecture(self) -> &'static str {
        match self {
            Arch::X86 => "32-bit",
            Arch::X64 | Arch::Arm64 | Arch::Itanium => "64-bit",
        }
    }

    /// Reads `x64-based PC`, `X86-based PC`, `ARM64-based PC`, `64-bit`, `AMD64`, `x86_64`...
    pub fn parse_loose(text: &str) -> Option<Arch> {
        let t = text.to_ascii_lowercase();
        if t.contains("arm64") || t.contains("aarch64") {
            Some(Arch::Arm64)
        } else if t.contains("itanium") || t.contains("ia64") {
            Some(Arch::Itanium)
        } else if t.contains("x64")
            || t.contains("amd64")
            || t.contains("x86_64")
            || t.contains("64-bit")
            || t.contains("64 bit")
        {
            Some(Arch::X64)
        } else if t.contains("x86")
            || t.contains("32-bit")
            || t.contains("32 bit")
            || t.contains("i386")
            || t.contains("i686")
        {
            Some(Arch::X86)
        } else {
            None
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
            Arch::Arm64 => "arm64",
            Arch::Itanium => "ia64",
        })
    }
}

/// The operating system of one machine, as far as its inventory tells.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OsInfo {
    /// The OS name as the inventory gave it ("Microsoft Windows 10 Pro").
    pub name: String,
    pub family: OsFamily,
    /// Windows 10/11/Server release ("1909", "21H2"); `None` where the family has none.
    pub release: Option<String>,
    /// Base build number (18363).
    pub build: u32,
    /// Update build revision (UBR, the `.1016` in 10.0.18363.1016) when the inventory knows it.
    pub revision: Option<u32>,
    pub arch: Arch,
    /// Service pack level (Windows 7 SP1 → 1); `None` when there is none.
    pub service_pack: Option<u8>,
}

impl OsInfo {
    /// The release the machine runs, defaulting to the family's implicit release.
    pub fn effective_release(&self) -> Option<&str> {
        self.release.as_deref().or(self.family.implicit_release())
    }

    /// `version` in Defender's machine entity: the release, else the build.
    pub fn defender_version(&self) -> String {
        self.effective_release()
            .map(str::to_string)
            .unwrap_or_else(|| self.build.to_string())
    }
}

/// The operating system a catalog product is, or runs on, parsed from an MSRC product name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct OsTarget {
    pub family: OsFamily,
    pub release: Option<String>,
    /// `None` when the name does not say (servers from 2012 on are x64 only).
    pub arch: Option<Arch>,
    pub service_pack: Option<u8>,
    pub server_core: bool,
}

impl OsTarget {
    /// Whether a machine running `os` is an installation of this target.
    ///
    /// Server Core products are separate MSRC products carrying the same KBs as the full
    /// installation; an inventory cannot tell them apart, so only full installations match,
    /// which keeps a machine from being counted twice.
    pub fn matches(&self, os: &OsInfo) -> bool {
        !self.server_core && self.matches_ignoring_installation(os)
    }

    /// [`OsTarget::matches`] for either installation type: a Server Core target matches the
    /// machines its full-installation twin would. An inventory does not say which type a
    /// server runs, so this is for releases MSRC lists only as Server Core.
    pub fn matches_ignoring_installation(&self, os: &OsInfo) -> bool {
        if self.family != os.family {
            return false;
        }
        let release = self.release.as_deref().or(self.family.implicit_release());
        if let (Some(want), Some(have)) = (release, os.effective_release())
            && !want.eq_ignore_ascii_case(have)
        {
            return false;
        }
        if self.arch.is_some_and(|a| a != os.arch) {
            return false;
        }
        self.service_pack.unwrap_or(0) == os.service_pack.unwrap_or(0)
    }

    /// The base build number of this target when its release pins one.
    pub fn base_build(&self) -> Option<u32> {
        let release = self.release.as_deref().or(self.family.implicit_release())?;
        build_for_release(self.family, release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(name: &str, build: u32, arch: Arch, sp: Option<u8>) -> OsInfo {
        let family = OsFamily::from_name_and_build(name, build).unwrap();
        OsInfo {
            name: name.into(),
            family,
            release: release_for_build(family, build).map(str::to_string),
            build,
            revision: None,
            arch,
            service_pack: sp,
        }
    }

    #[test]
    fn families_from_names_and_builds() {
        assert_eq!(
            OsFamily::from_name_and_build("Microsoft Windows 10 Pro", 18363),
            Some(OsFamily::Windows10)
        );
        assert_eq!(
            OsFamily::from_name_and_build("Microsoft Windows 10 Pro", 22631),
            Some(OsFamily::Windows11)
        );
        assert_eq!(
            OsFamily::from_name_and_build("Microsoft Windows Server 2008 R2 Standard", 7601),
            Some(OsFamily::WindowsServer2008R2)
        );
        assert_eq!(
            OsFamily::from_name_and_build("Microsoft Windows 7 Professionnel", 7601),
            Some(OsFamily::Windows7)
        );
        assert_eq!(
            OsFamily::from_name_and_build("Microsoft Windows 8.1 Enterprise", 9600),
            Some(OsFamily::Windows81)
        );
        assert_eq!(
            OsFamily::from_name_and_build("Microsoft Windows XP Professional", 2600),
            Some(OsFamily::WindowsXp)
        );
        // Windows Server, version 23H2 names no year: MSRC's "Windows Server 2022, 23H2
        // Edition", and its release pins its own base build.
        let family = OsFamily::from_name_and_build("Microsoft Windows Server Datacenter", 25398);
        assert_eq!(family, Some(OsFamily::WindowsServer2022));
        assert_eq!(
            release_for_build(OsFamily::WindowsServer2022, 25398),
            Some("23H2")
        );
        assert_eq!(
            build_for_release(OsFamily::WindowsServer2022, "23H2"),
            Some(25398)
        );
        assert_eq!(
            build_for_release(OsFamily::WindowsServer2022, "21H2"),
            Some(20348)
        );
        assert_eq!(release_for_build(OsFamily::Windows11, 28000), Some("26H1"));
    }

    #[test]
    fn targets_match_release_arch_and_service_pack() {
        let win10 = os("Microsoft Windows 10 Pro", 18363, Arch::X64, None);
        let target = OsTarget {
            family: OsFamily::Windows10,
            release: Some("1909".into()),
            arch: Some(Arch::X64),
            service_pack: None,
            server_core: false,
        };
        assert!(target.matches(&win10));
        assert_eq!(target.base_build(), Some(18363));
        assert!(
            !OsTarget {
                arch: Some(Arch::X86),
                ..target.clone()
            }
            .matches(&win10)
        );
        assert!(
            !OsTarget {
                release: Some("1903".into()),
                ..target.clone()
            }
            .matches(&win10)
        );
        let win7 = os("Microsoft Windows 7 Enterprise", 7601, Arch::X64, Some(1));
        let w7 = OsTarget {
            family: OsFamily::Windows7,
            release: None,
            arch: Some(Arch::X64),
            service_pack: Some(1),
            server_core: false,
        };
        assert!(w7.matches(&win7));
        assert!(
            !OsTarget {
                service_pack: None,
                ..w7
            }
            .matches(&win7)
        );
    }
}
