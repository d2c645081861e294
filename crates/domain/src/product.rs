//! Catalog products and the software ids Defender groups them under.

use std::fmt;

use crate::OsTarget;

/// Defender's software id, `<vendor>-_-<product>` (`microsoft-_-edge`).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct SoftwareId {
    vendor: String,
    product: String,
}

impl SoftwareId {
    /// Builds an id from display words: lower case, spaces as `_`.
    pub fn new(vendor: &str, product: &str) -> SoftwareId {
        let norm = |s: &str| {
            s.trim()
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("_")
        };
        SoftwareId {
            vendor: norm(vendor),
            product: norm(product),
        }
    }

    pub fn microsoft(product: &str) -> SoftwareId {
        SoftwareId::new("microsoft", product)
    }

    pub fn parse(text: &str) -> Option<SoftwareId> {
        let (vendor, product) = text.trim().split_once("-_-")?;
        (!vendor.is_empty() && !product.is_empty() && !product.contains("-_-")).then(|| {
            SoftwareId {
                vendor: vendor.to_lowercase(),
                product: product.to_lowercase(),
            }
        })
    }

    pub fn vendor(&self) -> &str {
        &self.vendor
    }

    /// The product part, which is what `productsNames` lists (`edge`, `windows_10`).
    pub fn product(&self) -> &str {
        &self.product
    }
}

impl TryFrom<String> for SoftwareId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SoftwareId::parse(&s).ok_or_else(|| format!("not a software id (vendor-_-product): {s:?}"))
    }
}

impl From<SoftwareId> for String {
    fn from(id: SoftwareId) -> String {
        id.to_string()
    }
}

impl fmt::Display for SoftwareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-_-{}", self.vendor, self.product)
    }
}

/// How a catalog product comes to be on a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ProductKind {
    /// The operating system itself ("Windows 10 Version 1909 for x64-based Systems").
    OperatingSystem,
    /// Shipped with or serviced through the OS it is named "on" ("Internet Explorer 11 on
    /// ...", "Microsoft Edge (EdgeHTML-based) on ...", "Microsoft .NET Framework 4.8 on ...",
    /// "Adobe Flash Player on ...").
    Component,
    /// Installed separately (Office, SQL Server, Edge Chromium, ...): a product of a machine
    /// only when its inventory lists it.
    Application,
}

/// One MSRC product, classified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ProductInfo {
    /// The MSRC full product name, whitespace collapsed.
    pub name: String,
    pub software: SoftwareId,
    pub kind: ProductKind,
    /// The OS this product is (for [`ProductKind::OperatingSystem`]) or runs on (components).
    pub platform: Option<OsTarget>,
    /// Versions the name carries: `["11"]` for IE 11, `["3.5", "4.7.2"]` for
    /// ".NET Framework 3.5 AND 4.7.2", `["2016"]` for Office 2016.
    pub versions: Vec<String>,
}
