#!/usr/bin/env python3
"""Builds the catalog test fixtures in crates/catalog/tests/data/ from the real data in shared/.

The fixtures are slices of real, public files (WES-NG's definitions.zip, MSRC CVRF documents);
nothing is edited: CSV records are copied byte for byte (header included), XML/JSON documents
whole. Re-run after the shared data changes:

    python3 scripts/build_catalog_fixtures.py [--shared ../shared]

Outputs (see crates/catalog/tests/data/README.md):
  wesng-2020-03-11.zip      the project's acceptance catalog: WES-NG rows for Windows 10 1903 x64,
                            Windows 10 1909 x64 and Windows 7 SP1 x64 (and their "... on <OS>"
                            components) whose KB was released on or before 2020-03-11, plus the
                            KB-less rows posted by then; as CVEs_20200311.csv + the real Custom CSV
  wesng-slice.zip           all WES-NG rows of a handful of products picked for their quirks
  cvrf-2019-Mar.p0w3rsh3ll.xml.zst   cvrfDocument-2019-Mar.xml (UTF-8 BOM) compressed with zstd -19
  cvrf-2024-Jan.p0w3rsh3ll.xml.zst   cvrfDocument-2024-Jan.xml (FixedBuild on Windows) compressed likewise
  cvrf-2020-Mar.2026.xml.zst         the 2026 snapshot of 2020-Mar, copied as published
  cvrf-1999-Sep.mariner.xml.zst      a "Mariner Release Notes" pseudo-month, copied as published
  cvrf-2020-Dec.json.zst             the API's JSON form of 2020-Dec, compressed with zstd -19
"""

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "crates", "catalog", "tests", "data")

ACCEPTANCE_CUTOFF = "20200311"
ACCEPTANCE_PRODUCTS = [
    "Windows 10 Version 1903 for x64-based Systems",
    "Windows 10 Version 1909 for x64-based Systems",
    "Windows 7 for x64-based Systems Service Pack 1",
]

# Products whose rows make the small slice: each shows one quirk the parser must handle.
SLICE_PRODUCTS = {
    "Internet Explorer 11",  # a component named without its OS (old rows)
    "Microsoft Edge",  # old rows with the pseudo CVE id "CVE"
    "Microsoft .NET Framework 3.5 AND 4.7.2 on Windows Server 2016",  # two versions in one name
    "Microsoft Office 2016 (64-bit edition)",  # an application
    "Microsoft 365 Apps for Enterprise for 32-bit Systems",  # "Click to Run" pseudo KBs
    "Windows 10 Version 1607 for 32-bit Systems  ",  # trailing spaces
    "Windows Server 2016  ",  # trailing spaces
    "Windows 11 Version 26H1 for x64-based Systems - extra",  # odd suffix
    "Windows 11 Version 25H2 for ARM systems",  # "ARM systems"
    "Windows Server 2008 R2 for Itanium-based Systems Service Pack 2",
    "Windows Server 2012 R2 (server core installation)",  # lower-case Server Core
    "Microsoft Windows XP Service Pack 3",  # bulletin-era rows, components in AffectedComponent
}


def split_records(text):
    """Yields the raw text of each CSV record (quoted fields may hold newlines), without the
    record terminator, and the terminator itself."""
    start = 0
    in_quotes = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            in_quotes = not in_quotes
        elif c == "\n" and not in_quotes:
            end = i
            term = "\n"
            if end > start and text[end - 1] == "\r":
                end -= 1
                term = "\r\n"
            yield text[start:end], term
            start = i + 1
        i += 1
    if start < n:
        yield text[start:], ""


def parse_record(raw):
    return next(csv.reader(io.StringIO(raw)))


def release_dates(rows):
    """KB -> release date, kbgap's rule (crates/catalog/src/wesng.rs): the DatePosted under
    which the KB fixes the most vulnerability ids, the later date on a tie."""
    by_date = {}
    for f in rows:
        date, cve, kb = f[0], f[1].strip().upper(), f[2]
        if kb.isdigit():
            by_date.setdefault(kb, {}).setdefault(date, set()).add(cve)
    return {kb: max(dates.items(), key=lambda d: (len(d[1]), d[0]))[0] for kb, dates in by_date.items()}


def zip_entry(zf, name, data, date_time):
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data, compresslevel=9)


def zstd(src_bytes, dest):
    out = subprocess.run(["zstd", "-19", "-q", "-c"], input=src_bytes, check=True, capture_output=True).stdout
    with open(dest, "wb") as f:
        f.write(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared"))
    args = parser.parse_args()
    catalog = os.path.join(args.shared, "data", "catalog")
    os.makedirs(OUT, exist_ok=True)

    definitions = zipfile.ZipFile(os.path.join(catalog, "wesng", "definitions.zip"))
    cves_info = next(i for i in definitions.infolist() if i.filename.startswith("CVEs_"))
    custom_info = next(i for i in definitions.infolist() if i.filename.startswith("Custom_"))
    version_info = next(i for i in definitions.infolist() if i.filename.startswith("Version_"))
    text = definitions.read(cves_info).decode("utf-8")
    custom = definitions.read(custom_info)
    version = definitions.read(version_info)

    records = split_records(text)
    header, header_term = next(records)
    rows = []  # (raw, terminator, fields)
    for raw, term in records:
        if not raw:
            continue
        rows.append((raw, term, parse_record(raw)))
    release = release_dates(f for _, _, f in rows)
    print(f"{cves_info.filename}: {len(rows)} records, {len(release)} numeric KBs", file=sys.stderr)

    # The acceptance catalog.
    kept = []
    for raw, term, f in rows:
        date, kb, product = f[0], f[2], f[4]
        if not any(p in product for p in ACCEPTANCE_PRODUCTS):
            continue
        if (kb.isdigit() and release[kb] <= ACCEPTANCE_CUTOFF) or (kb == "" and date <= ACCEPTANCE_CUTOFF):
            kept.append(raw + term)
    body = header + header_term + "".join(kept)
    dest = os.path.join(OUT, "wesng-2020-03-11.zip")
    with zipfile.ZipFile(dest, "w") as zf:
        zip_entry(zf, f"CVEs_{ACCEPTANCE_CUTOFF}.csv", body.encode("utf-8"), (2020, 3, 11, 0, 0, 0))
        zip_entry(zf, custom_info.filename, custom, custom_info.date_time)
    print(f"{dest}: {len(kept)} records, {os.path.getsize(dest)} bytes", file=sys.stderr)

    # The quirks slice.
    kept = [raw + term for raw, term, f in rows if f[4] in SLICE_PRODUCTS]
    body = header + header_term + "".join(kept)
    dest = os.path.join(OUT, "wesng-slice.zip")
    with zipfile.ZipFile(dest, "w") as zf:
        zip_entry(zf, cves_info.filename, body.encode("utf-8"), cves_info.date_time)
        zip_entry(zf, custom_info.filename, custom, custom_info.date_time)
        zip_entry(zf, version_info.filename, version, version_info.date_time)
    print(f"{dest}: {len(kept)} records, {os.path.getsize(dest)} bytes", file=sys.stderr)

    # CVRF documents.
    msrc = os.path.join(catalog, "msrc")
    with open(os.path.join(msrc, "cvrf-xml-p0w3rsh3ll", "cvrfDocument-2019-Mar.xml"), "rb") as f:
        zstd(f.read(), os.path.join(OUT, "cvrf-2019-Mar.p0w3rsh3ll.xml.zst"))
    with open(os.path.join(msrc, "cvrf-xml-p0w3rsh3ll", "cvrfDocument-2024-Jan.xml"), "rb") as f:
        zstd(f.read(), os.path.join(OUT, "cvrf-2024-Jan.p0w3rsh3ll.xml.zst"))
    with open(os.path.join(msrc, "cvrf-json", "2020-Dec.json"), "rb") as f:
        zstd(f.read(), os.path.join(OUT, "cvrf-2020-Dec.json.zst"))
    shutil.copyfile(os.path.join(msrc, "cvrf-xml-2026-snapshot", "2020-Mar.xml.zst"), os.path.join(OUT, "cvrf-2020-Mar.2026.xml.zst"))
    shutil.copyfile(os.path.join(msrc, "cvrf-xml-2026-07-06", "1999-Sep.xml.zst"), os.path.join(OUT, "cvrf-1999-Sep.mariner.xml.zst"))

    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):>9}  {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
