#!/usr/bin/env python3
"""Regenerates docs/ACCURACY.md: kbgap and WES-NG against Windows Update's own list on the two
ground-truth machines of crates/cli/tests/data/ground-truth/ (captured 2019-03-05).

    cargo build --release -p kbgap
    python3 scripts/accuracy.py            # KBGAP_BIN=path/to/kbgap to use another binary

Both tools get the same inputs: the machine's systeminfo plus every KB of its wmic qfe table,
and the catalog as it stood on the capture date (crates/cli/tests/data/ground-truth/catalog/,
built by scripts/build_ground_truth_fixture.py): the MSRC CVRF documents first released by
then, and WES-NG's rows of the KBs released by then. kbgap imports the whole folder; WES-NG
reads CSV only, so it gets the WES-NG rows (which hold every KB the documents add). WES-NG
(`wes`, PyPI package wesng) also needs a Custom_*.csv, taken from
../shared/data/catalog/wesng/definitions.zip or else from any definitions zip in the repository.
If WES-NG cannot run, the document still gets kbgap's figures and says why.

A second run gives kbgap WES-NG's rows alone, dated by DatePosted as WES-NG has them (see
"Sensitivity" in the document). When ../shared is present, the full WES-NG catalog and the
archived MSRC CVRF documents are read to explain the Windows Update entries the catalog lacks
and to check the hand-written notes.

Python 3 standard library only (plus the `wes` command; chardet, which wes needs, only as an
encoding fallback). Rewrites docs/ACCURACY.md.
"""

import csv
import glob
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict, deque
from datetime import date

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(REPO, "scripts"))
from build_catalog_fixtures import release_dates  # noqa: E402  (kbgap's release-date rule)

GT = os.path.join(REPO, "crates", "cli", "tests", "data", "ground-truth")
FIXTURE = os.path.join(GT, "wesng-2019-03-05.zip")
CVRF = os.path.join(GT, "cvrf")
CATALOG = [FIXTURE, CVRF]  # what kbgap imports
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
SHARED_DEFINITIONS = os.path.join(SHARED, "data", "catalog", "wesng", "definitions.zip")
MSRC_DOCS = os.path.join(SHARED, "data", "catalog", "msrc", "cvrf-xml-p0w3rsh3ll")
OUT = os.path.join(REPO, "docs", "ACCURACY.md")
CUT = "20190305"  # capture date of the Windows Update lists = catalog cut
ROLLUP_MODEL = "20161001"  # Windows 7 to 8.1 cumulative Monthly Rollups from October 2016
WIN7 = "7_sp1_x64_enterprise_en-us_20190305"
COLLECTOR = os.path.join(REPO, "crates", "inventory", "tests", "agents",
                         "collector-7_sp1_x64_enterprise_en-us_20190305.json")
MACHINES = [
    ("10_1803_x64_proforworkstations_en-us_A_20190305", "Windows 10 Version 1803 for x64-based Systems"),
    (WIN7, "Windows 7 for x64-based Systems Service Pack 1"),
]


# ------------------------------------------------------------------------------------------
# Hand-written notes: only what the data cannot say by itself. Keyed by KB. Every claim has a
# check against the data; a check returns True, False, or None when its source is absent.
# ------------------------------------------------------------------------------------------
def _msrc_cve(ctx, doc, cve):
    return ctx.msrc.get(doc, {}).get("cves", {}).get(cve) if ctx.msrc else None


HAND_NOTES = {
    "4483187": {
        "text": (
            "Windows Update listed this out-of-band Internet Explorer update (2018-12-19) next to the February "
            "2019 Monthly Rollup KB4486563, while listing neither January's nor February's Internet Explorer "
            "cumulative update (KB4480965, KB4486474), which the machine does not have either: it offers the "
            "Internet Explorer fixes of those months through the rollups, and the only updates MSRC names as "
            "superseding the out-of-band one are those Internet Explorer updates (KB4480965 supersedes KB4483187). "
            "kbgap follows the same rule: a stand-alone update of the rollup era whose successors (what MSRC says "
            "supersedes it, and later updates of the same kind) end in an update that a reported Monthly Rollup "
            "contains is reported itself, next to the rollup; an installed rollup of that month or later contains "
            "them and closes it"
        ),
        "checks": [
            ("the Windows 7 truth file lists KB4483187 and KB4486563, and neither KB4480965 nor KB4486474",
             lambda c: {"4483187", "4486563"} <= set(c.truth[WIN7]) and not {"4480965", "4486474"} & set(c.truth[WIN7])),
            ("the inventory shows none of KB4483187, KB4480965, KB4486474 installed",
             lambda c: not {"4483187", "4480965", "4486474"} & (c.machines[WIN7]["qfe"] | c.machines[WIN7]["sysinfo"])),
            ("a catalog row of KB4480965 lists KB4483187 in Supersedes",
             lambda c: any(r["BulletinKB"] == "4480965" and "4483187" in split_kbs(r["Supersedes"])
                           for r in c.fixture_rows)),
            ("on Windows 7 x64 SP1 and its components, KB4483187 fixes CVE-2018-8653 only",
             lambda c: {r["CVE"] for r in c.fixture_rows if r["BulletinKB"] == "4483187"
                        and "Windows 7 for x64-based Systems Service Pack 1" in r["AffectedProduct"]}
             == {"CVE-2018-8653"}),
        ],
    },
    "4470641": {
        "text": (
            "Windows Update listed the February 2019 .NET rollup instead: \"KB4487078: 2019-02 Security and "
            "Quality Rollup for .NET Framework 3.5.1, ...\". MSRC's February 2019 document (first released "
            "2019-02-12) names KB4487078 as a fix of CVE-2019-0613 and CVE-2019-0657, but WES-NG dates every "
            "row of KB4487078, and of January's KB4481481, 2019-12-19 (DatePosted is a CVE's last revision; "
            "that revision only corrected links), so WES-NG's rows alone, cut at 2019-03-05, lack them. No row, "
            "in the cut or the full catalog, lists KB4470641 in Supersedes: with WES-NG's rows alone nothing "
            "replaces it"
        ),
        "checks": [
            ("the Windows 7 truth file lists KB4487078",
             lambda c: "4487078" in c.truth[WIN7]),
            ("WES-NG's rows alone, cut at the capture date, have no row of KB4487078 or KB4481481",
             lambda c: not ({"4487078", "4481481"} & c.wesng_only_kbs)),
            ("no row of the catalog lists KB4470641 in Supersedes",
             lambda c: not any("4470641" in split_kbs(r["Supersedes"]) for r in c.fixture_rows)),
            ("full WES-NG catalog: every row of KB4487078 and KB4481481 is dated 20191219",
             lambda c: None if c.full is None else all(
                 c.full.rows_of(kb) and {r[0] for r in c.full.rows_of(kb)} == {"20191219"}
                 for kb in ("4487078", "4481481"))),
            ("full WES-NG catalog: no row lists KB4470641 in Supersedes",
             lambda c: None if c.full is None else not c.full.superseded_by("4470641")),
            ("MSRC 2019-Feb: first released 2019-02-12; CVE-2019-0613 and CVE-2019-0657 list KB4487078, were "
             "published 2019-02-12 and last revised 2019-12-19 as an informational change",
             lambda c: None if "2019-Feb" not in (c.msrc or {}) else (
                 c.msrc["2019-Feb"]["initial"] == "20190212" and all(
                     v is not None and "4487078" in v["kbs"] and v["revisions"][0][0] == "20190212"
                     and v["revisions"][-1][0] == "20191219" and "informational change" in v["revisions"][-1][1]
                     for v in (_msrc_cve(c, "2019-Feb", "CVE-2019-0613"), _msrc_cve(c, "2019-Feb", "CVE-2019-0657"))))),
        ],
    },
}


# ------------------------------------------------------------------------------------------
# Reading the inputs
# ------------------------------------------------------------------------------------------
def decode(data):
    """Text of a Windows capture: UTF-16 with or without BOM, UTF-8, else chardet's guess."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if len(data) > 1 and data[1:200:2].count(0) > 50:
        return data.decode("utf-16-le")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        import chardet

        return data.decode(chardet.detect(data)["encoding"] or "cp1252", errors="replace")


def read_text(name):
    with open(os.path.join(GT, name), "rb") as f:
        return decode(f.read())


def split_kbs(value):
    return {k for k in re.split(r"[;,\s]+", value or "") if k}


def read_truth(prefix):
    """KB -> (title, number of lines) of a Windows Update listing ("KB4486563: title")."""
    truth = {}
    for line in read_text(f"{prefix}_updates.txt").splitlines():
        m = re.match(r"\s*KB(\d+)\s*:\s*(.*)", line)
        if m:
            title, n = truth.get(m.group(1), (m.group(2).strip(), 0))
            truth[m.group(1)] = (title, n + 1)
    return truth


def read_inventory(prefix):
    """(systeminfo KBs, qfe KBs, qfe InstalledOn per KB as YYYYMMDD)."""
    sysinfo = set(re.findall(r"KB(\d+)", read_text(f"{prefix}_systeminfo.txt"), re.I))
    qfe, installed_on = set(), {}
    for line in read_text(f"{prefix}_qfe.txt").splitlines():
        m = re.search(r"KB(\d+)", line, re.I)
        if m:
            qfe.add(m.group(1))
            d = re.search(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", line)
            if d:
                installed_on[m.group(1)] = "%s%02d%02d" % (d.group(3), int(d.group(1)), int(d.group(2)))
    return sysinfo, qfe, installed_on


def read_from_zip(path, prefix):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if os.path.basename(n).startswith(prefix))
        return os.path.basename(name), z.read(name)


class FullCatalog:
    """The complete WES-NG catalog (../shared): rows of the KBs asked about and of the machines'
    OS products, and who lists whom in Supersedes."""

    def __init__(self, path, wanted, os_names):
        self.name, data = read_from_zip(path, "CVEs_")
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        self.header = next(reader)
        rows = list(reader)
        self.released = release_dates(rows)
        self.rows = defaultdict(list)
        self.os_rows = [r for r in rows if any(o in r[4] for o in os_names)]
        self.superseders = defaultdict(set)
        for r in rows:
            if r[2] in wanted:
                self.rows[r[2]].append(r)
            for old in split_kbs(r[8]):
                if old in wanted:
                    self.superseders[old].add(r[2])

    def rows_of(self, kb):
        return self.rows.get(kb, [])

    def superseded_by(self, kb):
        return self.superseders.get(kb, set())


def read_msrc_docs():
    """MSRC CVRF documents archived in ../shared (point-in-time revisions): per document id its
    first release, its revision, and per CVE the KBs of its remediations and its revisions."""
    docs = {}
    for path in sorted(glob.glob(os.path.join(MSRC_DOCS, "*.xml"))):
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
        ident = re.search(r"<cvrf:ID>([^<]+)</cvrf:ID>", text)
        initial = re.search(r"<cvrf:InitialReleaseDate>(\d{4})-(\d\d)-(\d\d)", text)
        current = re.search(r"<cvrf:CurrentReleaseDate>(\d{4})-(\d\d)-(\d\d)", text)
        if not (ident and initial and current):
            continue
        cves = {}
        for vuln in re.findall(r"<vuln:Vulnerability\b.*?</vuln:Vulnerability>", text, re.S):
            cve = re.search(r"<vuln:CVE>([^<]+)</vuln:CVE>", vuln)
            if not cve:
                continue
            revisions = [(y + m + d, desc) for y, m, d, desc in re.findall(
                r"<cvrf:Date>(\d{4})-(\d\d)-(\d\d)[^<]*</cvrf:Date>\s*<cvrf:Description>([^<]*)", vuln)]
            kbs = set(re.findall(r"<vuln:Description>(\d+)</vuln:Description>", vuln))
            cves[cve.group(1)] = {"kbs": kbs, "revisions": sorted(revisions)}
        docs[ident.group(1).strip()] = {"file": os.path.basename(path), "initial": "".join(initial.groups()),
                                        "current": "".join(current.groups()), "cves": cves,
                                        "kbs": set().union(*(v["kbs"] for v in cves.values())) if cves else set()}
    return docs


def catalog_documents():
    """The CVRF documents of the catalog (zstd-compressed XML): {KB: (document id, first
    release YYYYMMDD)} by kbgap's release-date rule, the document in which the KB fixes the most
    vulnerabilities (the later one on a tie)."""
    best = {}
    initials = {}
    for path in sorted(glob.glob(os.path.join(CVRF, "*.xml.zst"))):
        text = subprocess.run(["zstd", "-d", "-q", "-c", path], check=True, capture_output=True).stdout
        text = text.decode("utf-8-sig")
        ident = re.search(r"<cvrf:ID>([^<]+)</cvrf:ID>", text).group(1).strip()
        initial = "".join(re.search(r"<cvrf:InitialReleaseDate>(\d{4})-(\d\d)-(\d\d)", text).groups())
        initials[path] = initial
        fixes = defaultdict(set)
        for vuln in re.findall(r"<vuln:Vulnerability\b.*?</vuln:Vulnerability>", text, re.S):
            cve = re.search(r"<vuln:CVE>([^<]+)</vuln:CVE>", vuln)
            for rem in re.findall(r'<vuln:Remediation\s+Type="Vendor Fix">.*?</vuln:Remediation>', vuln, re.S):
                kb = re.search(r"<vuln:Description>\s*(\d+)\s*</vuln:Description>", rem)
                if kb and cve:
                    fixes[kb.group(1)].add(cve.group(1).strip())
        for kb, cves in fixes.items():
            if kb not in best or (len(cves), initial) > best[kb][0]:
                best[kb] = ((len(cves), initial), ident)
    return {kb: (ident, initial) for kb, ((_, initial), ident) in best.items()}, initials


def catalog_document_ids():
    """{KB: vulnerability ids the catalog's CVRF documents list it under}."""
    ids = defaultdict(set)
    for path in sorted(glob.glob(os.path.join(CVRF, "*.xml.zst"))):
        text = subprocess.run(["zstd", "-d", "-q", "-c", path], check=True, capture_output=True).stdout
        for vuln in re.findall(r"<vuln:Vulnerability\b.*?</vuln:Vulnerability>", text.decode("utf-8-sig"), re.S):
            cve = re.search(r"<vuln:CVE>([^<]+)</vuln:CVE>", vuln)
            for kb in re.findall(r"<vuln:Description>\s*(\d+)\s*</vuln:Description>", vuln):
                if cve:
                    ids[kb].add(cve.group(1).strip())
    return ids


# ------------------------------------------------------------------------------------------
# The catalog seen from one machine
# ------------------------------------------------------------------------------------------
class MachineCatalog:
    """A catalog's rows for one machine's OS and its "... on <OS>" components (the rows WES-NG's
    product filter selects): fixes, explicit supersedence, alternatives."""

    def __init__(self, rows, os_name, documents):
        self.os_name = os_name
        rows = [r for r in rows if os_name in r["AffectedProduct"]]
        released = release_dates([[r["DatePosted"], r["CVE"], r["BulletinKB"]] for r in rows])
        # kbgap's rule: a KB a CVRF document names is dated by that document.
        released.update({kb: initial for kb, (_, initial) in documents.items()})
        self.fixes = defaultdict(set)  # kb -> {(cve, product)}
        self.supersedes = defaultdict(set)  # kb -> kbs its rows list in Supersedes
        for r in rows:
            kb = r["BulletinKB"]
            self.fixes[kb].add((r["CVE"], r["AffectedProduct"]))
            self.supersedes[kb] |= split_kbs(r["Supersedes"])
        self.released = {kb: released.get(kb, "") for kb in self.fixes}
        by_fix = defaultdict(set)
        for kb, fixes in self.fixes.items():
            for fix in fixes:
                by_fix[fix].add(kb)
        # Alternatives: two KBs released in the same month that fix a same CVE on a same
        # product (a Monthly Rollup and its Security-only update or IE cumulative update).
        self.alternatives = defaultdict(dict)  # kb -> {kb2: a shared fix}
        for fix in sorted(by_fix):
            for a in by_fix[fix]:
                for b in by_fix[fix]:
                    if a != b and self.released[a][:6] == self.released[b][:6]:
                        self.alternatives[a].setdefault(b, fix)

    def products(self, kb):
        return sorted({short_product(p, self.os_name) for _, p in self.fixes.get(kb, ())})

    def cves(self, kb):
        return sorted({c for c, _ in self.fixes.get(kb, ())})

    def path_to(self, start, fix, use_alternatives):
        """Shortest chain from `start` to a KB that fixes `fix`, or None. Edges: the catalog's
        Supersedes column and, if allowed, alternatives."""
        parent = {start: None}
        queue = deque([start])
        while queue:
            kb = queue.popleft()
            if fix in self.fixes.get(kb, ()):
                path = []
                while kb is not None:
                    path.append(kb)
                    kb = parent[kb]
                return path[::-1]
            nxt = sorted(self.supersedes.get(kb, ()))
            if use_alternatives:
                nxt += sorted(self.alternatives.get(kb, {}))
            for n in nxt:
                if n not in parent:
                    parent[n] = kb
                    queue.append(n)
        return None

    def closed_by(self, kb, reported):
        """{fix: chain} when every (CVE, product) `kb` fixes is closed by a reported KB, else None."""
        paths = {}
        for fix in sorted(self.fixes.get(kb, ())):
            found = None
            for use_alternatives in (False, True):
                for r in sorted(reported):
                    p = self.path_to(r, fix, use_alternatives)
                    if p and (found is None or len(p) < len(found)):
                        found = p
                if found:
                    break
            if not found:
                return None
            paths[fix] = found
        return paths or None

    def describe_chain(self, path):
        steps = []
        for a, b in zip(path, path[1:]):
            if b in self.supersedes.get(a, ()):
                steps.append(f"MSRC lists KB{a} as superseding KB{b}")
            else:
                cve, product = self.alternatives[a][b]
                steps.append(f"KB{a} and KB{b} are alternatives ({month(self.released[a])}, both fix {cve} "
                             f"on {short_product(product, self.os_name)})")
        return "; ".join(steps)


def month(yyyymmdd):
    return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), 1).strftime("%B %Y") if yyyymmdd else "?"


def day(yyyymmdd):
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}" if yyyymmdd else "?"


def short_product(product, os_name):
    return product.replace(" on " + os_name, "") if product != os_name else "the OS"


def kb_list(kbs):
    return ", ".join("KB" + k for k in sorted(kbs, key=int)) or "none"


def ratio(a, b):
    return "n/a" if b == 0 else f"{a / b:.2f}"


# ------------------------------------------------------------------------------------------
# Running the tools
# ------------------------------------------------------------------------------------------
def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def run_kbgap_inventory(binary, catalog, inventory):
    """kbgap on a JSON inventory (the collector's, with the machine's programs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KBGAP_")}
    with tempfile.TemporaryDirectory(prefix="kbgap-accuracy-") as tmp:
        db = ["--db", "sqlite://" + os.path.join(tmp, "kbgap.db")]
        run([binary, *db, "catalog", "import", *catalog], env=env)
        out = run([binary, *db, "ingest", inventory], env=env)
        machine_id = out.stdout.split()[0]
        body = json.loads(run([binary, *db, "missing", "--machine", machine_id, "--json", "--as-of", day(CUT)],
                              env=env).stdout)
    return {item["id"]: item["productsNames"] for item in body["value"]}


def run_kbgap(binary, catalog, prefix):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KBGAP_")}
    with tempfile.TemporaryDirectory(prefix="kbgap-accuracy-") as tmp:
        db = ["--db", "sqlite://" + os.path.join(tmp, "kbgap.db")]
        run([binary, *db, "catalog", "import", *catalog], env=env)
        out = run([binary, *db, "ingest", "--one-machine", os.path.join(GT, f"{prefix}_systeminfo.txt"),
                   os.path.join(GT, f"{prefix}_qfe.txt")], env=env)
        machine_id = out.stdout.split()[0]  # "id host os"
        body = json.loads(run([binary, *db, "missing", "--machine", machine_id, "--json", "--as-of", day(CUT)],
                              env=env).stdout)
    return {item["id"] for item in body["value"]}


class Wes:
    """WES-NG, given a definitions zip made of a CVEs CSV and a real Custom CSV."""

    def __init__(self, workdir):
        self.error = self.version = self.package = self.custom_source = self.columns = None
        self.workdir = workdir
        self.binary = shutil.which("wes")
        if not self.binary:
            self.error = "the `wes` command (PyPI package wesng) is not installed"
            return
        try:
            from importlib.metadata import version

            self.package = version("wesng")
        except Exception:
            pass
        self.custom_source = self.find_custom()
        if not self.custom_source:
            self.error = "no Custom_*.csv found (../shared/data/catalog/wesng/definitions.zip is absent)"
            return
        self.custom_name, custom = read_from_zip(self.custom_source, "Custom_")
        lines = custom.decode("utf-8").splitlines(keepends=True)
        dated = [(re.match(r'"(\d{8})"', l), l) for l in lines]
        self.custom_lines = [l for m, l in dated if not m or m.group(1) <= CUT]
        dates = sorted(m.group(1) for m, l in dated if m)
        dropped = len(lines) - len(self.custom_lines)
        self.custom_note = (f"rows dated {day(dates[0])} to {day(dates[-1])}"
                            + (f"; the {dropped} dated after the cut are dropped" if dropped else ", all before the cut"))
        with zipfile.ZipFile(self.custom_source) as z:
            names = [n for n in z.namelist() if os.path.basename(n).startswith("Version_")]
            # wes.py refuses a zip without Version_<minimum wes.py version>.txt.
            self.version_file = ((os.path.basename(names[0]), z.read(names[0])) if names
                                 else ("Version_0.94.txt", b"written by scripts/accuracy.py\n"))

    @staticmethod
    def find_custom():
        if os.path.exists(SHARED_DEFINITIONS):
            return SHARED_DEFINITIONS
        for path in sorted(glob.glob(os.path.join(REPO, "**", "*.zip"), recursive=True)):
            if os.sep + "target" in path:
                continue
            try:
                with zipfile.ZipFile(path) as z:
                    if any(os.path.basename(n).startswith("Custom_") for n in z.namelist()):
                        return path
            except zipfile.BadZipFile:
                pass
        return None

    def definitions(self, tag, cves_name, cves_data):
        path = os.path.join(self.workdir, f"definitions-{tag}.zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(cves_name, cves_data)
            z.writestr(self.custom_name, "".join(self.custom_lines).encode("utf-8"))
            z.writestr(*self.version_file)
        return path

    def run(self, definitions, prefix, installed_qfe):
        out_csv = os.path.join(self.workdir, f"{os.path.basename(definitions)}-{prefix}.csv")
        cmd = [self.binary, "--definitions", definitions, os.path.join(GT, f"{prefix}_systeminfo.txt"),
               "--patches", *sorted("KB" + kb for kb in installed_qfe), "-o", out_csv]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=self.workdir)
        log = proc.stdout + proc.stderr
        m = re.search(r"Windows Exploit Suggester ([\d.]+)", log)
        if m:
            self.version = m.group(1)
        if proc.returncode != 0:
            raise RuntimeError(f"wes exited with {proc.returncode}: {log[-1500:]}")
        if "No vulnerabilities found" in log:
            return {"kbs": set(), "vulnerabilities": 0, "cves": 0}
        with open(out_csv, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if not rows or "BulletinKB" not in rows[0]:
            raise RuntimeError(f"unexpected WES-NG CSV columns: {list(rows[0]) if rows else 'none'}")
        self.columns = list(rows[0])
        m = re.search(r"Saved (\d+) of the (\d+) vulnerabilities found", log)
        return {"kbs": {r["BulletinKB"] for r in rows if r["BulletinKB"]},
                "vulnerabilities": int(m.group(1)) if m else len(rows),
                "cves": len({r["CVE"] for r in rows if not r["CVE"].startswith("SP")})}


# ------------------------------------------------------------------------------------------
# Scoring
# ------------------------------------------------------------------------------------------
class Context:
    """Everything the explanations and the hand notes' checks may read."""


def score(reported, truth, cat):
    tp, fp, fn = reported & truth, reported - truth, truth - reported
    closed = {kb: cat.closed_by(kb, reported) for kb in sorted(fn)}
    closed = {kb: p for kb, p in closed.items() if p}
    return {"reported": reported, "tp": tp, "fp": fp, "fn": fn, "closed": closed,
            "precision": ratio(len(tp), len(tp) + len(fp)), "recall": ratio(len(tp), len(tp) + len(fn)),
            "recall_closed": ratio(len(tp) + len(closed), len(tp) + len(fn))}


def entry_status(kb, ctx, m, cat):
    """Status of one Windows Update entry: (truth|application|excluded, reason)."""
    installed_where = [n for n, s in (("systeminfo", m["sysinfo"]), ("wmic qfe", m["qfe"])) if kb in s]
    if installed_where:
        when = m["installed_on"].get(kb, "")
        reason = "installed per the " + " and ".join(installed_where)
        if when > CUT:
            reason += f" (InstalledOn {day(when)}: the qfe was captured after the Windows Update list)"
        return "excluded", reason
    if kb in cat.fixes:
        return "truth", "security update the catalog knows for " + ", ".join(cat.products(kb))
    if ctx.full is None:
        return "excluded", "not in the catalog (../shared is absent: not classified further)"
    rows = ctx.full.rows_of(kb)
    listed_under = ctx.document_ids.get(kb, set())
    if not rows and listed_under and not any(i.upper().startswith("CVE-") for i in listed_under):
        return "excluded", ("not a security update: only the catalog's CVRF documents name it, under "
                            + ", ".join(sorted(listed_under)) + ", an advisory without a CVE (ADV990001 is "
                            "\"Latest Servicing Stack Updates\", impact \"Defense in Depth\", no severity); "
                            "kbgap reports only fixes of a CVE or of an advisory with a severity")
    if not rows:
        msrc = sorted(f"`{ident}` document names it under {', '.join(sorted(c for c, v in doc['cves'].items() if kb in v['kbs']))}"
                      for ident, doc in (ctx.msrc or {}).items() if kb in doc["kbs"])
        return "excluded", "not in the catalog: no WES-NG row names this KB" + (
            " (MSRC's " + "; ".join(msrc) + ")" if msrc else "")
    # kbgap's rule: a KB a CVRF document of the catalog names is dated by that document.
    released = ctx.documents[kb][1] if kb in ctx.documents else ctx.full.released.get(kb, "")
    products = sorted({r[4] for r in rows})
    apps = sorted({re.sub(r" \((32|64)-bit editions?\)", "", p) for p in products})
    app_only = not any(m["os"] in p for p in products)
    if released > CUT:
        dates = ", ".join(day(d) for d in sorted({r[0] for r in rows}))
        return "excluded", ((f"an application update ({', '.join(apps)}), and " if app_only else "")
                            + f"not in the catalog of the capture date: its WES-NG rows are dated {dates}, so "
                            f"kbgap's release-date rule dates it {day(released)}, after the cut")
    if app_only:
        return "application", ("the catalog knows it only for " + ", ".join(apps)
                               + ": needs an application inventory, which systeminfo does not give")
    return "excluded", "in the full catalog for this OS but not in the cut fixture: rebuild the fixture"


def evaluate(ctx, wes, binary, catalog, rows, documents, cves_name, cves_data, tag):
    """Both tools on both machines with one catalog: `catalog` for kbgap (a folder or a zip),
    its WES-NG `rows` (as a CSV: `cves_data`) for WES-NG, `documents` the KBs its CVRF
    documents date."""
    wes_defs = None
    if not wes.error:
        wes_defs = wes.definitions(tag, cves_name, cves_data)
    results = []
    for prefix, os_name in MACHINES:
        m = dict(ctx.machines[prefix])
        cat = MachineCatalog(rows, os_name, documents)
        m["cat"] = cat
        m["status"] = {kb: entry_status(kb, ctx, m, cat) for kb in m["truth"]}
        m["truth_scored"] = {kb for kb, (st, _) in m["status"].items() if st == "truth"}
        m["kbgap"] = score(run_kbgap(binary, catalog, prefix), m["truth_scored"], cat)
        if wes_defs and not wes.error:
            try:
                m["wes_run"] = wes.run(wes_defs, prefix, m["qfe"])
                m["wes"] = score(m["wes_run"]["kbs"], m["truth_scored"], cat)
            except Exception as e:  # keep kbgap's figures
                wes.error = f"wes failed on {prefix}: {e}"
        results.append(m)
    if wes.error:
        for m in results:
            m.pop("wes", None)
    return results


def wesng_only(ctx):
    """The catalog without its CVRF documents: WES-NG's rows, dated by DatePosted as WES-NG has
    them, of the KBs released by the cut. The KBs the documents date before the cut and WES-NG
    after it drop out: {KB: (document id, its first release, WES-NG's date)}."""
    released = release_dates([[r["DatePosted"], r["CVE"], r["BulletinKB"]] for r in ctx.fixture_rows])
    dropped = {kb: (ident, initial, released[kb]) for kb, (ident, initial) in ctx.documents.items()
               if released.get(kb, "") > CUT}
    return [r for r in ctx.fixture_rows if r["BulletinKB"] not in dropped], dropped


# ------------------------------------------------------------------------------------------
# Explanations
# ------------------------------------------------------------------------------------------
def describe(kb, m):
    """'"Windows Update's title" (month; products; CVEs)' or '(month; products; CVEs)'."""
    cat = m["cat"]
    title = m["truth"].get(kb, (None,))[0]
    facts = f"{month(cat.released.get(kb, ''))}; {', '.join(cat.products(kb))}; {', '.join(cat.cves(kb))}"
    return (f"\"{title}\" ({facts})" if title else f"({facts})") if kb in cat.fixes else (f"\"{title}\"" if title else "")


def explain_closed(kb, s, cat, tool):
    by_reported = defaultdict(list)
    for (cve, _), path in s["closed"][kb].items():
        by_reported[path[0]].append((cve, path))
    parts = []
    for r, items in sorted(by_reported.items()):
        cves = ", ".join(sorted({c for c, _ in items}))
        chains = sorted({cat.describe_chain(p) for _, p in items if len(p) > 1})
        parts.append(f"its {cves} is also closed by KB{r}, which {tool} reports" + (": " + "; ".join(chains) if chains else ""))
    return "Closed: " + ". ".join(parts) + "."


def check_note(kb, ctx):
    note = HAND_NOTES.get(kb)
    if not note:
        return None
    results = [(d, check(ctx)) for d, check in note["checks"]]
    failed = [d for d, ok in results if ok is False]
    skipped = [d for d, ok in results if ok is None]
    if failed:
        print(f"warning: hand note for KB{kb}: check failed: {failed}", file=sys.stderr)
        label = "Hand note, NOT VERIFIED (failed: " + "; ".join(failed) + ")"
    else:
        label = (f"Hand note ({len(results) - len(skipped)} of its {len(results)} claims checked against the data, "
                 "unchecked for lack of ../shared: " + "; ".join(skipped) + ")") if skipped else (
                 f"Hand note (all its {len(results)} claims checked against the data)")
    return f"{label}: {note['text']}."


def explain_fp(kb, s, ctx, m, other_run, other_label):
    cat = m["cat"]
    installed = m["sysinfo"] | m["qfe"]
    fixes = cat.fixes.get(kb, set())
    facts = []
    for group, label in ((installed, "installed"), (m["truth_scored"], "listed by Windows Update"),
                         (s["reported"] - {kb}, "also reported")):
        for other in sorted(group, key=int):
            if other != kb and fixes and fixes <= cat.fixes.get(other, set()):
                facts.append(f"all its fixes are also in KB{other} ({label})")
    superseders = sorted((k for k, old in cat.supersedes.items() if kb in old), key=int)
    if superseders:
        facts.append("the catalog lists it as superseded by " + kb_list(superseders) + ", none installed")
    else:
        facts.append("no row of the catalog lists it in Supersedes and no installed KB fixes "
                     + ", ".join(cat.cves(kb)))
    alts = sorted((a for a in cat.alternatives.get(kb, {}) if cat.fixes[a] == fixes and a not in s["reported"]), key=int)
    if alts:
        own = kb_list(cat.supersedes.get(kb, ())) if cat.supersedes.get(kb) else "none"
        others = "; ".join(f"KB{a}'s list " + (kb_list(cat.supersedes[a]) if cat.supersedes.get(a) else "none")
                           for a in alts)
        facts.append(f"of it and its same-month alternative {kb_list(alts)} (same CVEs), {{tool}} reports the one "
                     f"whose rows list earlier KBs in Supersedes ({own}; {others})")
    text = (facts[0][0].upper() + "; ".join(facts)[1:] + ".").replace("{tool}", "kbgap")
    if other_run is not None:
        om = next(x for x in other_run if x["prefix"] == m["prefix"])
        if kb not in om["kbgap"]["reported"]:
            text += (f" With {other_label} kbgap reports "
                     + kb_list(om["kbgap"]["reported"]) + " and not this KB.")
    note = check_note(kb, ctx)
    return text + (" " + note if note else " No hand note: not explained yet.")


def wes_fp_summary(m):
    """WES-NG's false positives, grouped by what the catalog rows say about them."""
    s, cat = m["wes"], m["cat"]
    installed = m["sysinfo"] | m["qfe"]
    left = set(s["fp"])
    groups = []

    def take(label, kbs, show=True):
        kbs = set(kbs) & left
        left.difference_update(kbs)
        if kbs:
            groups.append((label, kbs, show))

    take("come from the Custom CSV only (hand-kept service-pack and MS17-010 rows)", {k for k in left if k not in cat.fixes})
    take("fix nothing an installed KB does not also fix (per the catalog rows)",
         {k for k in left if any(cat.fixes[k] <= cat.fixes.get(i, set()) for i in installed)})
    take("duplicate another reported KB, which fixes all their CVEs (same-month alternatives)",
         {k for k in left if any(cat.fixes[k] <= cat.fixes.get(r, set()) for r in s["reported"] if r != k)})
    older = {k for k in left if all(any(cat.released.get(i, "") > cat.released[k] and any(p == q for _, q in cat.fixes[i])
                                        for i in installed) for _, p in cat.fixes[k])}
    take(f"were released before October 2016 (Windows 7 to 8.1 moved to cumulative Monthly Rollups then), and for "
         f"each of their products a newer KB is installed; the catalog's Supersedes column does not link them",
         {k for k in older if cat.released[k] < ROLLUP_MODEL}, show=False)
    take("are older than an installed KB for each of their products (a later cumulative update or rollup); the "
         "catalog's Supersedes column does not link them to it, and WES-NG follows only that column", older)
    take("fix only advisories (ADV ids), no CVE",
         {k for k in left if all(c.upper().startswith("ADV") for c, _ in cat.fixes[k])})
    take("others", set(left))
    return groups


# ------------------------------------------------------------------------------------------
# The document
# ------------------------------------------------------------------------------------------
def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def results_table(w, results):
    w("| machine | tool | reported | TP | FP | FN | closed | precision | recall | recall, closed counted |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in results:
        label = m["os"].replace(" for x64-based Systems", " x64")
        for tool, name in (("kbgap", "kbgap"), ("wes", "WES-NG")):
            if tool not in m:
                w(f"| {label} | {name} | not run | | | | | | | |")
                continue
            s = m[tool]
            w(f"| {label} | {name} | {len(s['reported'])} | {len(s['tp'])} | {len(s['fp'])} | {len(s['fn'])} | "
              f"{len(s['closed'])} | {s['precision']} | {s['recall']} | {s['recall_closed']} |")
    w("")


def render(ctx, results, sensitivity, dropped, wes, binary, fixture_name):
    L = []
    w = L.append
    w("# Accuracy against Windows Update\n")
    w("<!-- Generated by scripts/accuracy.py: edit the script, not this file. -->\n")
    w("Does kbgap name the security updates Windows Update itself offered, and nothing else? Two real machines "
      "whose Windows Update Agent listed the applicable, not installed updates on 2019-03-05 "
      "(`crates/cli/tests/data/ground-truth/`, copied from `../shared/data/windows-update/`) are assessed by kbgap "
      "and by WES-NG with the same inputs and the same catalog.\n")

    w("## How this was produced\n")
    w("```sh\ncargo build --release -p kbgap     # or set KBGAP_BIN to a kbgap binary\npython3 scripts/accuracy.py\n```\n")
    w(f"- kbgap: `{run([binary, '--version']).stdout.strip()}`. Per machine, a fresh SQLite database: "
      "`kbgap catalog import <WES-NG zip> <CVRF folder>`, `kbgap ingest --one-machine <systeminfo> <qfe>`, "
      f"`kbgap missing --machine <id> --json --as-of {day(CUT)}`; reported = the `id`s of the body's `value`.")
    if wes.error:
        w(f"- WES-NG: **not run: {wes.error}.** Only kbgap's figures are given.")
    else:
        pkg = f" (PyPI wesng {wes.package})" if wes.package else ""
        cols = ", ".join(f"`{c}`" for c in (wes.columns or []))
        w(f"- WES-NG: wes.py {wes.version}{pkg}: `wes --definitions <zip> <systeminfo> --patches <every KB of the qfe> "
          f"-o out.csv`; reported = the distinct `BulletinKB` values of out.csv (columns {cols}), including a "
          "missing service pack; vulnerabilities = its rows. Its zip holds the catalog's CVEs CSV plus the real "
          f"`{wes.custom_name}` of `{os.path.relpath(wes.custom_source, REPO)}` ({wes.custom_note}), which wes.py "
          "requires; kbgap imports the zip and the CVRF documents.")
    docs = sorted(glob.glob(os.path.join(CVRF, "*.xml.zst")))
    early = [d for d in docs if ".p0w3rsh3ll." in d and ctx.document_initial[d] <= CUT]
    w(f"- Catalog: the catalog as it stood on **2019-03-05** (`scripts/build_ground_truth_fixture.py`): in "
      f"`{os.path.relpath(CVRF, REPO)}/`, the MSRC CVRF documents first released by then, in the "
      "copies archived by p0w3rsh3ll/MSRC-data ("
      + ", ".join(f"`{os.path.basename(d)}`" for d in early)
      + "); because Microsoft revised those documents after the capture and added later KBs to them, the "
      "documents that released those KBs too ("
      + ", ".join(f"`{os.path.basename(d)}`" for d in docs if d not in early)
      + "), so that kbgap dates them after the cut and `--as-of` leaves them out; and "
      f"`{fixture_name}` in `{os.path.relpath(FIXTURE, REPO)}` (SHA-256 `{sha256(FIXTURE)[:16]}`, "
      f"{len(ctx.fixture_rows)} rows): WES-NG's rows for the two OS products and their `... on <OS>` components, "
      "and for the 64-bit Office, Word, Excel, PowerPoint and Outlook 2016 products the Windows 7 machine runs, "
      "of the KBs released on or before the cut by kbgap's release-date rule (a KB a document names is dated "
      "by that document; else by its WES-NG rows). WES-NG gets these rows as its CSV; they include every KB "
      "the documents add.")
    truncated = [f"{m['host']}'s says {m['hotfix_count'][0]} and lists {m['hotfix_count'][1]}, its qfe {len(m['qfe'])}"
                 for m in ctx.machines.values() if m["hotfix_count"][0] != m["hotfix_count"][1]]
    w("- Inventory: systeminfo plus every KB of the wmic qfe table"
      + (" (systeminfo truncates its hotfix list: " + "; ".join(truncated) + ")." if truncated else "."))
    if ctx.full is not None:
        w(f"- Read for explanations only: the full WES-NG catalog (`{ctx.full.name}` in "
          "`../shared/data/catalog/wesng/definitions.zip`) and the archived MSRC CVRF documents in "
          "`../shared/data/catalog/msrc/cvrf-xml-p0w3rsh3ll/`.")
    w("")
    w("**Truth** = the KBs of `<machine>_updates.txt` that the catalog knows for the machine's OS or an "
      "`... on <OS>` component and that the inventory (systeminfo ∪ qfe) does not show installed. "
      "TP = reported ∩ truth, FP = reported − truth, FN = truth − reported; precision = TP / reported, "
      "recall = TP / truth (n/a when the denominator is 0). **Closed** = an FN each of whose (CVE, product) fixes "
      "a reported KB also closes per the catalog rows: the reported KB fixes it, or reaches a KB that does "
      "through the Supersedes column and alternatives (KBs of the same release month that fix a same CVE on a "
      "same product, such as a Monthly Rollup, its Security-only update and the IE cumulative update). "
      "Application updates are listed apart: systeminfo does not list applications, so no systeminfo-based "
      "tool can find them.\n")

    w("## Results\n")
    results_table(w, results)
    for m in results:
        w(f"- {m['host']} ({m['os']}): truth {kb_list(m['truth_scored'])}; kbgap reports "
          f"{kb_list(m['kbgap']['reported'])}.")
        if "wes" in m:
            r = m["wes_run"]
            w(f"  WES-NG reports {len(r['kbs'])} KBs, {r['vulnerabilities']} vulnerabilities "
              f"({r['cves']} distinct CVEs).")
    w("")

    if ctx.applications is not None:
        render_applications(w, ctx)

    w("## Windows Update's lists, entry by entry\n")
    order = {"truth": 0, "application": 1, "excluded": 2}
    for m in results:
        w(f"### {m['host']} ({m['os']})\n")
        w("| KB | Windows Update's title | status |")
        w("|---|---|---|")
        for kb, (st, why) in sorted(m["status"].items(), key=lambda x: (order[x[1][0]], int(x[0]))):
            title, n = m["truth"][kb]
            if n > 1:
                title += f" (and {n - 1} more lines with this KB)"
            w(f"| KB{kb} | {title} | {'**truth**' if st == 'truth' else st}: {why} |")
        w("")

    w("## Every disagreement explained (kbgap)\n")
    w("Generated from the data; where the data cannot say why, a hand-written note (`HAND_NOTES` in the "
      "script) is added, labelled as such, and its claims are checked against the data at every run.\n")
    for m in results:
        s, cat = m["kbgap"], m["cat"]
        w(f"### {m['host']} ({m['os']})\n")
        notes = [(kb, check_note(kb, ctx)) for kb in sorted(s["tp"], key=int)]
        notes = [(kb, note) for kb, note in notes if note]
        if not s["fn"] and not s["fp"]:
            w("No disagreement: kbgap reports exactly the truth"
              + (", which is empty: Windows Update listed no security update the catalog knows." if not m["truth_scored"] else ".")
              + "\n")
        for kb, note in notes:
            w(f"- **TP KB{kb}** {describe(kb, m)}. {note}")
        if not s["fn"] and not s["fp"]:
            if notes:
                w("")
            continue
        for kb in sorted(s["fn"], key=int):
            why = explain_closed(kb, s, cat, "kbgap") if kb in s["closed"] else "Not closed by any reported KB: a miss."
            note = check_note(kb, ctx)
            w(f"- **FN KB{kb}** {describe(kb, m)}. {why}" + (f" {note}" if note else ""))
        for kb in sorted(s["fp"], key=int):
            w(f"- **FP KB{kb}** {describe(kb, m)}. "
              f"{explain_fp(kb, s, ctx, m, sensitivity, 'WES-NG rows alone (Sensitivity, below)')}")
        w("")

    if any("wes" in m for m in results):
        w("## WES-NG's disagreements, summarized\n")
        for m in results:
            if "wes" not in m:
                continue
            s, cat = m["wes"], m["cat"]
            w(f"### {m['host']} ({m['os']})\n")
            for kb in sorted(s["fn"], key=int):
                w(f"- FN KB{kb}: " + (explain_closed(kb, s, cat, "WES-NG") if kb in s["closed"]
                                      else "not closed by any reported KB."))
            if not s["fp"]:
                w("- No FP.\n")
                continue
            w(f"- {len(s['fp'])} FPs, of which:")
            for label, kbs, show in wes_fp_summary(m):
                if label == "others":
                    w(f"  - {len(kbs)} others: " + "; ".join(
                        f"KB{k} ({month(cat.released.get(k, ''))}, {', '.join(cat.products(k))})"
                        for k in sorted(kbs, key=int)) + ".")
                else:
                    w(f"  - {len(kbs)} {label}" + (f": {kb_list(kbs)}." if show and len(kbs) <= 60 else "."))
            w("")

    if sensitivity is not None:
        w("## Sensitivity: WES-NG's rows alone\n")
        w("WES-NG's DatePosted is a CVE's last revision date, not its publication. Without the CVRF documents "
          "(kbgap given only WES-NG's rows, each KB dated by them), these KBs, which MSRC published before "
          "2019-03-05, are dated after the cut and drop out:\n")
        for kb, (ident, initial, wesng) in sorted(dropped.items(), key=lambda x: int(x[0])):
            revised = (ctx.msrc or {}).get(ident, {}).get("current") == wesng
            w(f"- KB{kb}: in MSRC's `{ident}` document (first released {day(initial)}); its WES-NG rows date it "
              f"{day(wesng)}" + (", that document's last revision." if revised else "."))
        w("")
        w("The figures with that catalog (the script builds it in a temporary copy):\n")
        results_table(w, sensitivity)
        for m in sensitivity:
            base = next(x for x in results if x["prefix"] == m["prefix"])
            s = m["kbgap"]
            w(f"- {m['host']}: truth {kb_list(m['truth_scored'])}"
              + (f" (without {kb_list(base['truth_scored'] - m['truth_scored'])})"
                 if m["truth_scored"] != base["truth_scored"] else " (unchanged)")
              + f"; kbgap reports {kb_list(s['reported'])}; FP {kb_list(s['fp'])}; FN {kb_list(s['fn'])}"
              + (f" ({kb_list(s['closed'])} closed)" if s["closed"] else "") + ".")
            for kb in sorted(s["fp"], key=int):
                w(f"  - **FP KB{kb}** {describe(kb, m)}. "
                  f"{explain_fp(kb, s, ctx, m, results, 'the CVRF documents (Results, above)')}")
        w("")
    return "\n".join(L).rstrip() + "\n"


def applications(ctx, binary):
    """kbgap on the Windows 7 machine's collector inventory (its qfe KBs plus the Office 2016
    64-bit programs Windows Update's list reveals): the Office updates it reports, against the
    Office security updates Windows Update listed that the catalog knows."""
    if not os.path.exists(COLLECTOR):
        return None
    with_apps = run_kbgap_inventory(binary, CATALOG, COLLECTOR)
    m = ctx.machines[WIN7]
    os_products = {"windows_7", "internet_explorer", ".net_framework"}
    office = {kb: p for kb, p in with_apps.items() if not set(p) & os_products}
    rows = {}
    for r in ctx.fixture_rows:
        product, component = r["AffectedProduct"].strip(), r["AffectedComponent"].strip()
        if m["os"] in product:
            continue
        # kbgap files a bulletin-era suite row under the product its component names.
        if product == "Microsoft Office 2016" and "2016" in component:
            product = component
        rows.setdefault(r["BulletinKB"], set()).add(product)
    truth = {kb for kb in m["truth"] if kb in rows and kb not in m["qfe"]}
    released = release_dates([[r["DatePosted"], r["CVE"], r["BulletinKB"]] for r in ctx.fixture_rows])
    released.update({kb: initial for kb, (_, initial) in ctx.documents.items()})
    return {"reported": office, "truth": truth, "rows": rows, "released": released}


def render_applications(w, ctx):
    a = ctx.applications
    reported, truth = a["reported"], a["truth"]
    tp, fp, fn = set(reported) & truth, set(reported) - truth, truth - set(reported)
    w("## Applications: Office 2016 on the Windows 7 machine\n")
    w("Windows Update listed security updates of Office 2016 64-bit for WIN7SP1X64, so it runs it. Given as an "
      "application inventory (`crates/inventory/tests/agents/collector-7_sp1_x64_enterprise_en-us_20190305.json`: "
      "the shape `scripts/collect-inventory.ps1` writes, with the qfe's KBs and the Office entries \"Microsoft "
      "Office Professional Plus 2016\" and \"Microsoft Office 64-bit Components 2016\"), kbgap maps it to the "
      "Office, Word, Excel, PowerPoint, Outlook, OneNote, Access, Publisher and Skype for Business 2016 (64-bit "
      "edition) products (the catalog holds the first five) and reports:\n")
    w("| | KBs |")
    w("|---|---|")
    w(f"| Office security updates Windows Update listed that the catalog knows | {len(truth)}: {kb_list(truth)} |")
    w(f"| found by kbgap | {len(tp)} of {len(truth)} |")
    w(f"| missed | {kb_list(fn) if fn else 'none'} |")
    w(f"| other Office KBs reported | {len(fp)} |")
    w("")
    unknown = {kb for kb, (title, _) in ctx.machines[WIN7]["truth"].items()
               if "Security Update for Microsoft Office" in title or "Security Update for Microsoft" in title} - truth
    if unknown:
        w("Windows Update also listed " + kb_list(unknown) + ", which the catalog does not know (see the entries "
          "below), so kbgap cannot know them.\n")
    w("The other Office KBs are older updates whose vulnerabilities no update the inventory shows closes, as far as "
      "MSRC's Supersedes column tells (Office MSPs are per component, so no cumulative chain is inferred for "
      "them). Office MSPs are invisible to `Win32_QuickFixEngineering`, and this inventory has no entry for the "
      "ones installed: the real machine most likely has these (Windows Update did not offer them). An "
      "inventory taken by the collector lists each installed MSP as a program (\"Security Update for Microsoft "
      "Word 2016 (KB...) 64-Bit Edition\"), which kbgap counts as installed. They are, by product and month:\n")
    for kb in sorted(fp, key=lambda k: (a["released"].get(k, ""), int(k))):
        products = ", ".join(sorted(short_office(p) for p in a["rows"].get(kb, ()))) or "named by the CVRF documents only"
        w(f"- KB{kb} ({month(a['released'].get(kb, ''))}; {products}; productsNames {', '.join(reported[kb])})")
    w("")


def short_office(product):
    return re.sub(r" \(64-bit edition\)", "", product)


def main():
    binary = os.environ.get("KBGAP_BIN", os.path.join(REPO, "target", "release", "kbgap"))
    if not os.path.exists(binary):
        sys.exit(f"kbgap binary not found at {binary}: run `cargo build --release -p kbgap` or set KBGAP_BIN")

    ctx = Context()
    fixture_name, fixture_data = read_from_zip(FIXTURE, "CVEs_")
    fixture_text = fixture_data.decode("utf-8")
    ctx.fixture_rows = list(csv.DictReader(io.StringIO(fixture_text, newline="")))
    ctx.fixture_kbs = {r["BulletinKB"] for r in ctx.fixture_rows}
    ctx.documents, ctx.document_initial = catalog_documents()
    ctx.document_ids = catalog_document_ids()
    ctx.truth = {p: read_truth(p) for p, _ in MACHINES}
    wanted = set().union(*ctx.truth.values()) | set(HAND_NOTES) | {"4487078", "4481481"}
    ctx.full = (FullCatalog(SHARED_DEFINITIONS, wanted, [o for _, o in MACHINES])
                if os.path.exists(SHARED_DEFINITIONS) else None)
    ctx.msrc = read_msrc_docs() if os.path.isdir(MSRC_DOCS) else None
    ctx.machines = {}
    for prefix, os_name in MACHINES:
        sysinfo, qfe, installed_on = read_inventory(prefix)
        text = read_text(f"{prefix}_systeminfo.txt")
        host = re.search(r"Host Name:\s*(\S+)", text).group(1)
        said = re.search(r"(\d+) Hotfix\(s\) Installed", text)
        hotfix_count = (int(said.group(1)) if said else None, len(re.findall(r"\[\d+\]: KB\d+", text)))
        ctx.machines[prefix] = {"prefix": prefix, "os": os_name, "host": host, "truth": ctx.truth[prefix],
                                "sysinfo": sysinfo, "qfe": qfe, "installed_on": installed_on,
                                "hotfix_count": hotfix_count}

    tmp = tempfile.mkdtemp(prefix="kbgap-accuracy-")
    try:
        wes = Wes(tmp)
        results = evaluate(ctx, wes, binary, CATALOG, ctx.fixture_rows, ctx.documents, fixture_name,
                           fixture_data, "cut")
        sensitivity = None
        rows, dropped = wesng_only(ctx)
        ctx.wesng_only_kbs = {r["BulletinKB"] for r in rows}
        if dropped:
            buf = io.StringIO()
            writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow(list(ctx.fixture_rows[0].keys()))
            writer.writerows([list(r.values()) for r in rows])
            variant_zip = os.path.join(tmp, "wesng-only.zip")
            with zipfile.ZipFile(variant_zip, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(fixture_name, buf.getvalue().encode("utf-8"))
            sensitivity = evaluate(ctx, wes, binary, [variant_zip], rows, {}, fixture_name,
                                   buf.getvalue().encode("utf-8"), "wesng-only")
        if wes.error:
            print(f"WES-NG could not be run: {wes.error}; writing kbgap's figures only", file=sys.stderr)
            for m in results + (sensitivity or []):
                m.pop("wes", None)
        ctx.applications = applications(ctx, binary)
        doc = render(ctx, results, sensitivity, dropped, wes, binary, fixture_name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(doc)
    for name, rs in (("catalog", results), ("WES-NG rows alone", sensitivity or [])):
        for m in rs:
            for tool in ("kbgap", "wes"):
                if tool in m:
                    s = m[tool]
                    print(f"[{name}] {m['host']} {tool}: reported {len(s['reported'])} TP {len(s['tp'])} "
                          f"FP {len(s['fp'])} FN {len(s['fn'])} closed {len(s['closed'])} "
                          f"precision {s['precision']} recall {s['recall']}")
    print(f"wrote {os.path.relpath(OUT, REPO)}")


if __name__ == "__main__":
    main()
