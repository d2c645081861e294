-- kbgap schema, version 2: the machine properties `$filter` can test, as columns, so that a
-- filter compares columns and bound values (the inventory JSON stays the source of truth;
-- these are derived from it at ingest, and filled for existing rows when this migration runs).

ALTER TABLE machines ADD COLUMN version TEXT;
ALTER TABLE machines ADD COLUMN os_build INTEGER;
ALTER TABLE machines ADD COLUMN os_architecture TEXT;
