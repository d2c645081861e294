-- kbgap schema, version 3: the vulnerabilities (CVE ids) of the catalog as rows, for the TVM
-- vulnerability endpoints. Both tables are derived from the fix rows, rebuilt after every
-- catalog import (and filled for existing databases when this migration runs).
--
-- kb_software_cves explodes kb_software.cves so that "which machines have CVE x open" is a
-- join on machine_missing (machine, kb, software) instead of a scan of every list.

CREATE TABLE vulnerabilities (
    id           TEXT PRIMARY KEY,
    -- The highest severity any fix row states for a product the CVE is fixed on.
    severity     TEXT,
    -- Earliest and latest release date of the KBs that fix it (YYYY-MM-DD).
    published_on TEXT NOT NULL,
    updated_on   TEXT NOT NULL
);

CREATE TABLE kb_software_cves (
    kb          INTEGER NOT NULL,
    software_id TEXT NOT NULL,
    cve         TEXT NOT NULL,
    PRIMARY KEY (kb, software_id, cve)
);
CREATE INDEX kb_software_cves_by_cve ON kb_software_cves(cve, kb, software_id);
