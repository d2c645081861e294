#!/usr/bin/env python3
"""Builds the ground-truth fixture: the real WES-NG rows for the two Windows Update
ground-truth machines in shared/data/windows-update/ (Windows 10 1803 x64 and Windows 7 SP1
x64, captured 2019-03-05), cut at the capture date, plus the machines' own files.

The Windows 7 machine runs Office 2016 64-bit (Windows Update listed its MSPs), so the rows of
the 64-bit Office 2016, Word, Excel, PowerPoint and Outlook 2016 products are kept too: those
MSRC names ("Microsoft Word 2016 (64-bit edition)") and the bulletin-era rows that name the
suite as the product and one of them as the component ("Microsoft Office 2016" /
"Microsoft Word 2016 (64-bit edition)"), which kbgap's WES-NG reader files under the component.

Rows are re-serialized with every field quoted, as in the original. A KB is kept when its release date (by kbgap's rule, see
build_catalog_fixtures.release_dates) is on or before the cut; all its rows for the products
are kept.

    python3 scripts/build_ground_truth_fixture.py [--shared ../shared]
"""

import argparse
import csv
import io
import os
import shutil
import zipfile

from build_catalog_fixtures import release_dates

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "crates", "cli", "tests", "data", "ground-truth")
CUTOFF = "20190305"
PRODUCTS = ["Windows 10 Version 1803 for x64-based Systems", "Windows 7 for x64-based Systems Service Pack 1"]
OFFICE = [f"Microsoft {app} 2016 (64-bit edition)" for app in ("Office", "Word", "Excel", "PowerPoint", "Outlook")]


def wanted(row):
    product, component = row[4].strip(), row[5].strip()
    if any(p in product for p in PRODUCTS):
        return True
    return product in OFFICE or (product == "Microsoft Office 2016" and component in OFFICE)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(REPO, "..", "shared"))
    args = parser.parse_args()
    data = os.path.join(args.shared, "data")
    with zipfile.ZipFile(os.path.join(data, "catalog", "wesng", "definitions.zip")) as z:
        name = next(n for n in z.namelist() if n.startswith("CVEs_"))
        rows = list(csv.reader(io.StringIO(z.read(name).decode("utf-8"), newline="")))
    header, rows = rows[0], rows[1:]
    released = release_dates(rows)
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    kept = [f for f in rows if wanted(f) and f[2] in released and released[f[2]] <= CUTOFF]
    writer.writerows(kept)
    os.makedirs(OUT, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("CVEs_20190305.csv", text.getvalue().encode("utf-8"))
    with open(os.path.join(OUT, "wesng-2019-03-05.zip"), "wb") as out:
        out.write(buffer.getvalue())
    for f in os.listdir(os.path.join(data, "windows-update")):
        shutil.copyfile(os.path.join(data, "windows-update", f), os.path.join(OUT, f))
    print(f"{len(kept)} rows, {len(buffer.getvalue())} bytes")


if __name__ == "__main__":
    main()
