-- kbgap schema, version 6: products Microsoft services by version instead of by KB (Edge,
-- Visual Studio 2017 and later). MSRC names the version that fixes each vulnerability
-- ("Release Notes", FixedBuild 121.0.2277.83); a machine whose inventory states an older
-- version of the program has the vulnerability open, with no KB to report.
--
-- version_fixes holds the catalog rows per source, as fixes does (one row per product and
-- CVE; fixed_versions newline-separated, lowest first).
--
-- What a machine has open that way is materialized like its missing KBs, and for the same
-- reason: an Edge a year behind has a thousand CVEs open, so (machine, CVE) rows would run to
-- a hundred million for a large fleet. Machines on the same version share the same open CVEs:
-- outdated_sets holds each distinct set once (per software, its CVE ids space-separated and
-- sorted, as the key), outdated_set_cves its CVEs, and machine_outdated one row per machine
-- and out-of-date software naming its set, as machine_missing names a KB whose CVEs
-- kb_software_cves lists. Sets no machine names any more are removed after each write.
-- machine_software.version keeps the installed version of an application whose program list
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

CREATE TABLE outdated_sets (
    id          INTEGER PRIMARY KEY,
    software_id TEXT NOT NULL,
    cves        TEXT NOT NULL,
    UNIQUE (software_id, cves)
);

CREATE TABLE outdated_set_cves (
    set_id INTEGER NOT NULL REFERENCES outdated_sets(id) ON DELETE CASCADE,
    cve    TEXT NOT NULL,
    PRIMARY KEY (set_id, cve)
);
CREATE INDEX outdated_set_cves_by_cve ON outdated_set_cves(cve, set_id);

CREATE TABLE machine_outdated (
    machine_id  TEXT NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
    software_id TEXT NOT NULL,
    set_id      INTEGER NOT NULL REFERENCES outdated_sets(id),
    PRIMARY KEY (machine_id, software_id)
);
CREATE INDEX machine_outdated_by_set ON machine_outdated(set_id, machine_id);
CREATE INDEX machine_outdated_by_software ON machine_outdated(software_id, set_id, machine_id);

ALTER TABLE machine_software ADD COLUMN version TEXT;
