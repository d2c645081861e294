#!/usr/bin/env python3
"""Builds the ground-truth fixture: the real catalog data for the Windows Update ground-truth
machines in shared/data/windows-update/ (Windows 10 1803 x64 and Windows 7 SP1 x64, captured
2019-03-05) as it stood on the capture date, plus the machines' own files, and the Windows 10
1809 sample of shared/data/systeminfo/ (captured 2019-03-07; its build awareness test).

The catalog is what existed on the capture date:
- the MSRC CVRF documents first released on or before it, in the archived point-in-time copies
  of shared/data/catalog/msrc/cvrf-xml-p0w3rsh3ll/ (2018-Nov as revised 2018-11-29, 2019-Jan
  and 2019-Feb as revised 2019-12-19), copied whole, zstd-compressed, into cvrf/; Microsoft
  added later KBs to those revisions, so the documents that released those KBs come too (the
  archived copy when there is one, else the 2026 feed's), and assessments are as of the
  capture date;
- WES-NG's rows for the machines' products (the OS, its "... on <OS>" components, and for the
  Windows 7 machine, which runs Office 2016 64-bit, the 64-bit Office 2016, Word, Excel,
  PowerPoint and Outlook 2016 products and the bulletin-era rows that name the suite as the
  product and one of them as the component), for the KBs released on or before the cut, in
  wesng-2019-03-05.zip (rows re-serialized with every field quoted, as in the original).

A KB's release date follows kbgap's rule (crates/catalog/src/release.rs): the document in which
it fixes the most vulnerabilities when a CVRF document names it (WES-NG's DatePosted is a CVE's
last revision: it dates the February 2019 .NET rollup KB4487078 2019-12-19), else its WES-NG
rows (build_catalog_fixtures.release_dates). All rows of a kept KB are kept. No KB, host or
file is special-cased.

    python3 scripts/build_ground_truth_fixture.py [--shared ../shared]
"""

import argparse
import csv
import io
import os
import re
import shutil
import subprocess
import zipfile

from build_catalog_fixtures import release_dates, zip_entry, zstd

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "crates", "cli", "tests", "data", "ground-truth")
CUTOFF = "20190305"
PRODUCTS = [
    "Windows 10 Version 1803 for x64-based Systems",
    "Windows 10 Version 1809 for x64-based Systems",
    "Windows 7 for x64-based Systems Service Pack 1",
]
CVRF_ARCHIVE = os.path.join("catalog", "msrc", "cvrf-xml-p0w3rsh3ll")
FEED = os.path.join("catalog", "msrc", "cvrf-xml-2026-07-06")
# The Windows 10 1809 sample (systeminfo and qfe) of the build awareness test.
SAMPLES = ["10_1809_x64_pro_en-us_20190307_systeminfo.txt", "10_1809_x64_pro_en-us_20190307_qfe.txt"]
OFFICE = [f"Microsoft {app} 2016 (64-bit edition)" for app in ("Office", "Word", "Excel", "PowerPoint", "Outlook")]


def wanted(row):
    product, component = row[4].strip(), row[5].strip()
    if any(p in product for p in PRODUCTS):
        return True
    return product in OFFICE or (product == "Microsoft Office 2016" and component in OFFICE)


def read_document(path):
    """The text of a CVRF XML document (zstd-compressed when its name ends in .zst)."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".zst"):
        data = subprocess.run(["zstd", "-d", "-q", "-c"], input=data, check=True, capture_output=True).stdout
    return data.decode("utf-8-sig")


def cvrf_document(path):
    """(document id, InitialReleaseDate as YYYYMMDD, {KB: vulnerability ids it fixes})."""
    text = read_document(path)
    ident = re.search(r"<cvrf:ID>([^<]+)</cvrf:ID>", text).group(1).strip()
    initial = "".join(re.search(r"<cvrf:InitialReleaseDate>(\d{4})-(\d\d)-(\d\d)", text).groups())
    fixes = {}
    for vuln in re.findall(r"<vuln:Vulnerability\b.*?</vuln:Vulnerability>", text, re.S):
        cve = re.search(r"<vuln:CVE>([^<]+)</vuln:CVE>", vuln)
        for rem in re.findall(r'<vuln:Remediation\s+Type="Vendor Fix">.*?</vuln:Remediation>', vuln, re.S):
            kb = re.search(r"<vuln:Description>\s*(\d+)\s*</vuln:Description>", rem)
            if kb and cve:
                fixes.setdefault(kb.group(1), set()).add(cve.group(1).strip())
    return ident, initial, fixes


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

    # Every CVRF document at hand (the complete feed of 2026 and the archived point-in-time
    # copies) dates the KBs it names: a KB's release is the document in which it fixes the most
    # vulnerabilities (the later one on a tie), as kbgap's rule has it.
    documents = {}
    for folder in (FEED, CVRF_ARCHIVE):
        for f in sorted(os.listdir(os.path.join(data, folder))):
            if f.endswith((".xml", ".xml.zst")):
                path = os.path.join(data, folder, f)
                documents[path] = cvrf_document(path)
    release_document = {}
    for path, (ident, initial, fixes) in documents.items():
        for kb, cves in fixes.items():
            best = release_document.get(kb)
            if best is None or (len(cves), initial) > best[0]:
                release_document[kb] = ((len(cves), initial), ident)
    released.update({kb: initial for kb, ((_, initial), _) in release_document.items()})

    # The catalog of the capture date: the archived copies of the documents first released by
    # then. Microsoft revises documents and adds later KBs to them (these copies are of
    # 2018-11-29 and 2019-12-19), so for each KB they name that was released after the cut,
    # the document that released it comes too (the archived copy if there is one, else the
    # feed's): with it kbgap dates that KB after the cut, and an assessment as of the capture
    # date leaves it out.
    catalog_out = os.path.join(OUT, "cvrf")
    shutil.rmtree(catalog_out, ignore_errors=True)
    os.makedirs(catalog_out)
    archived = {ident: path for path, (ident, _, _) in documents.items() if CVRF_ARCHIVE in path}
    feed = {ident: path for path, (ident, _, _) in documents.items() if FEED in path}
    chosen = {ident for path, (ident, initial, _) in documents.items() if CVRF_ARCHIVE in path and initial <= CUTOFF}
    later = set()
    for ident in chosen:
        later |= {release_document[kb][1] for kb in documents[archived[ident]][2] if released[kb] > CUTOFF}
    for ident in sorted(chosen | later):
        path = archived.get(ident) or feed[ident]
        origin = "p0w3rsh3ll" if ident in archived else "2026"
        with open(path, "rb") as src:
            body = src.read()
        out = os.path.join(catalog_out, f"cvrf-{ident}.{origin}.xml.zst")
        if path.endswith(".zst"):
            shutil.copyfile(path, out)
        else:
            zstd(body, out)
        named = documents[path][2]
        print(f"{os.path.relpath(path, data)}: {ident}, first released {documents[path][1]}, {len(named)} KBs"
              + ("" if ident in chosen else " (releases KBs that earlier documents name)"))

    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    kept = [f for f in rows if wanted(f) and f[2] in released and released[f[2]] <= CUTOFF]
    writer.writerows(kept)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        # A fixed timestamp: the same inputs give the same bytes.
        zip_entry(z, "CVEs_20190305.csv", text.getvalue().encode("utf-8"), (2019, 3, 5, 0, 0, 0))
    with open(os.path.join(OUT, "wesng-2019-03-05.zip"), "wb") as out:
        out.write(buffer.getvalue())
    for f in os.listdir(os.path.join(data, "windows-update")):
        shutil.copyfile(os.path.join(data, "windows-update", f), os.path.join(OUT, f))
    for f in SAMPLES:
        shutil.copyfile(os.path.join(data, "systeminfo", f), os.path.join(OUT, f))
    print(f"{len(kept)} WES-NG rows, {len(buffer.getvalue())} bytes")


if __name__ == "__main__":
    main()
