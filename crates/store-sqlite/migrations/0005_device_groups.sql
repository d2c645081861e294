-- kbgap schema, version 5: the device group of each machine (Defender's `rbacGroupName`), as a
-- column, so that `$filter` and a delegated caller's scope test it like the other machine
-- properties. The inventory JSON stays the source of truth; existing rows are filled from it.

ALTER TABLE machines ADD COLUMN device_group TEXT;
UPDATE machines SET device_group = json_extract(inventory, '$.device_group');
CREATE INDEX machines_by_device_group ON machines(lower(device_group));
