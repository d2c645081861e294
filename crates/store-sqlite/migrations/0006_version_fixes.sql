-- kbgap schema, version 6: products Microsoft services by version instead of by KB (Edge,
-- Visual Studio 2017 and later). MSRC names the version that fixes each vulnerability
-- ("Release Notes", FixedBuild 121.0.2277.83); a machine whose inventory states an older
-- version of the program has the vulnerability open, with no KB to report.
--
-- version_fixes holds the catalog rows per source, as fixes does (one row per product and
-- CVE; fixed_versions newline-separated, lowest first). machine_outdated materializes the
-- CVEs each machine has open that way, next to machine_missing, for the TVM queries, and
-- machine_software.version the installed version of an application whose program list
-- states one, for the software's version distribution (NULL: the OS build is shown).
-- Databases created before this version gain version fixes when their CVRF documents are
-- imported again (`kbgap catalog sync --reimport`, docs/CATALOG.md).

CREATE TABLE version_fixes (
    source         TEXT NOT NULL REFERENCES catalog_sources(source),
    product_id     INTEGER NOT NULL REFERENCES products(id),
    cve            TEXT NOT NULL,
    fixed_versions TEXT NOT NULL,
    severity       TEXT,
    release_date   TEXT NOT NULL,
    PRIMARY KEY (source, product_id, cve)
);
CREATE INDEX version_fixes_by_product ON version_fixes(product_id);

CREATE TABLE machine_outdated (
    machine_id  TEXT NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
    software_id TEXT NOT NULL,
    cve         TEXT NOT NULL,
    PRIMARY KEY (machine_id, software_id, cve)
);
CREATE INDEX machine_outdated_by_software ON machine_outdated(software_id, machine_id);
CREATE INDEX machine_outdated_by_cve ON machine_outdated(cve, machine_id);

ALTER TABLE machine_software ADD COLUMN version TEXT;
