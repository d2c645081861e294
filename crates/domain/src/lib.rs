//! kbgap's domain vocabulary.
//!
//! Everything the catalog importers, the inventory parsers, the assessment engine and the
//! storage backends must agree on lives here, so that none of them depends on another's
//! internals and none of them depends on a framework. Types are "parse, don't validate":
//! a [`Kb`] is always a KB number, a [`Date`] always a calendar date, a [`MachineId`] always
//! 40 lower-case hex characters.

mod date;
mod kb;
mod machine;
mod os;
mod product;
mod version;

pub use date::{Date, DateError};
pub use kb::{Kb, KbError};
pub use machine::{Application, MachineId, MachineInventory};
pub use os::{Arch, OsFamily, OsInfo, OsTarget, release_for_build};
pub use product::{ProductInfo, ProductKind, SoftwareId};
pub use version::{Version, VersionError};
