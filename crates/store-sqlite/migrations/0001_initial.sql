-- kbgap schema, version 1.
-- Catalog rows are kept per source (a CVRF document, a WES-NG CSV) so that re-importing a
-- source replaces exactly what it contributed; kb_summary and kb_software are derived from
-- them after every import. machine_missing materializes the assessments for fleet queries.

CREATE TABLE catalog_sources (
    source      TEXT PRIMARY KEY,
    revision    TEXT NOT NULL,
    title       TEXT,
    imported_at TEXT NOT NULL
);

CREATE TABLE software (
    id     TEXT PRIMARY KEY,
    vendor TEXT NOT NULL,
    name   TEXT NOT NULL,
    rank   INTEGER NOT NULL
);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    software_id TEXT NOT NULL REFERENCES software(id),
    os_family   TEXT,
    info        TEXT NOT NULL
);
CREATE INDEX products_by_family ON products(os_family);

CREATE TABLE updates (
    source       TEXT NOT NULL REFERENCES catalog_sources(source),
    kb           INTEGER NOT NULL,
    release_date TEXT NOT NULL,
    title        TEXT,
    PRIMARY KEY (source, kb)
);

CREATE TABLE fixes (
    source       TEXT NOT NULL REFERENCES catalog_sources(source),
    kb           INTEGER NOT NULL,
    product_id   INTEGER NOT NULL REFERENCES products(id),
    sub_type     TEXT,
    fixed_builds TEXT NOT NULL,
    supersedes   TEXT NOT NULL,
    cves         TEXT NOT NULL,
    severity     TEXT,
    PRIMARY KEY (source, kb, product_id)
);
CREATE INDEX fixes_by_product ON fixes(product_id);

CREATE TABLE kb_summary (
    kb           INTEGER PRIMARY KEY,
    release_date TEXT NOT NULL,
    title        TEXT NOT NULL,
    os_build     INTEGER
);

CREATE TABLE kb_software (
    kb          INTEGER NOT NULL,
    software_id TEXT NOT NULL,
    cve_count   INTEGER NOT NULL,
    cves        TEXT NOT NULL,
    PRIMARY KEY (kb, software_id)
);

-- The catalog slice of each OS family (every product on it, its fix rows and their KBs'
-- metadata), serialized: an assessment reads one row instead of thousands. Derived, rebuilt
-- after every import.
CREATE TABLE catalog_slices (
    os_family TEXT PRIMARY KEY,
    slice     TEXT NOT NULL
);

CREATE TABLE machines (
    id          TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    host_lower  TEXT NOT NULL,
    os_platform TEXT NOT NULL,
    inventory   TEXT NOT NULL,
    source      TEXT NOT NULL,
    last_seen   TEXT NOT NULL
);
CREATE INDEX machines_by_host ON machines(host_lower);

CREATE TABLE machine_software (
    machine_id  TEXT NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
    software_id TEXT NOT NULL,
    PRIMARY KEY (machine_id, software_id)
);
CREATE INDEX machine_software_by_software ON machine_software(software_id, machine_id);

CREATE TABLE machine_missing (
    machine_id  TEXT NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
    kb          INTEGER NOT NULL,
    software_id TEXT NOT NULL,
    PRIMARY KEY (machine_id, kb, software_id)
);
CREATE INDEX machine_missing_by_software ON machine_missing(software_id, kb, machine_id);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
