#!/usr/bin/env bash
# kbgap's measurements, as recorded in BENCHMARKS.md. Builds in release, then:
#   1. full catalog import: WES-NG definitions.zip, then the MSRC CVRF feed (needs ../shared);
#   2. `kbgap missing --machine <Windows 7 host> --json` and `kbgap check --json <systeminfo>`,
#      whole process, RUNS times, next to WES-NG (`wes`) on the same systeminfo (needs
#      ../shared and `wes` on PATH);
#   3. the loopback HTTP load test (kbgap-loadtest, MACHINES machines);
#   4. with CRITERION=1, the criterion benchmark of the engine (fixture catalog, then the
#      full catalog).
# Everything runs on this machine: the load test talks to 127.0.0.1 only and stops by itself.
#
# Environment: CARGO_TARGET_DIR (default ./target), RUNS (20), WES_RUNS (5),
# MACHINES (100000), CONNECTIONS (32), DURATION (10), CRITERION (0), KBGAP_SHARED (../shared).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
shared=${KBGAP_SHARED:-$root/../shared}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
runs=${RUNS:-20}
wes_runs=${WES_RUNS:-5}
machines=${MACHINES:-100000}
connections=${CONNECTIONS:-32}
duration=${DURATION:-10}

section() { printf '\n=== %s\n' "$*"; }

# Mean wall time of a command over N runs: "perf stat -r N" when perf works, else a loop.
mean_time() {
    local n=$1
    shift
    if perf stat -r 1 true >/dev/null 2>&1; then
        perf stat -r "$n" "$@" 2>&1 >/dev/null | grep 'seconds time elapsed' | sed 's/^ *//'
    else
        local start end
        start=$(date +%s%N)
        for _ in $(seq "$n"); do "$@" >/dev/null; done
        end=$(date +%s%N)
        awk -v ns=$((end - start)) -v n="$n" 'BEGIN { printf "%.6f seconds time elapsed (mean of %d, loop)\n", ns / n / 1e9, n }'
    fi
}

section "machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') MHz)"
echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "kernel: $(uname -r); $(rustc --version)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

section "build (release)"
cargo build --release -p kbgap -p kbgap-loadtest
kbgap=$CARGO_TARGET_DIR/release/kbgap
loadtest=$CARGO_TARGET_DIR/release/kbgap-loadtest

work=$(mktemp -d "${TMPDIR:-/tmp}/kbgap-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

definitions=$shared/data/catalog/wesng/definitions.zip
cvrf=$shared/data/catalog/msrc/cvrf-xml-2026-07-06
systeminfo=$shared/data/windows-update/7_sp1_x64_enterprise_en-us_20190305_systeminfo.txt
if [[ -f $definitions && -d $cvrf && -f $systeminfo ]]; then
    export KBGAP_DB="sqlite://$work/full.db"

    section "1. full catalog import"
    echo "\$ kbgap catalog import $definitions"
    /usr/bin/time -f 'wall %e s, user %U s, sys %S s, max RSS %M KiB' "$kbgap" catalog import "$definitions"
    echo "\$ kbgap catalog import $cvrf/"
    /usr/bin/time -f 'wall %e s, user %U s, sys %S s, max RSS %M KiB' "$kbgap" catalog import "$cvrf/"
    echo "database: $(du -h "$work/full.db" | cut -f1)"

    section "2. kbgap missing and kbgap check vs WES-NG, Windows 7 SP1 x64 (systeminfo alone)"
    "$kbgap" ingest --json "$systeminfo" >"$work/machine.json"
    host=$(jq -r .computerDnsName "$work/machine.json")
    echo "machine: $host, $(jq '.installedKbs | length' "$work/machine.json") installed KBs listed"
    "$kbgap" missing --machine "$host" --json >"$work/kbgap.json"
    echo "kbgap reports $(jq '.value | length' "$work/kbgap.json") missing KBs"
    echo "\$ kbgap missing --machine $host --json   (perf stat -r $runs)"
    kbgap_line=$(mean_time "$runs" "$kbgap" missing --machine "$host" --json)
    echo "$kbgap_line"
    echo "\$ kbgap check --json $systeminfo   (perf stat -r $runs; catalog from the database, nothing stored)"
    check_line=$(mean_time "$runs" "$kbgap" check --json "$systeminfo")
    echo "$check_line"
    if command -v wes >/dev/null; then
        wes --definitions "$definitions" "$systeminfo" >"$work/wes.txt" 2>&1 || true
        echo "WES-NG reports $(grep -c '^KB:' "$work/wes.txt" || true) vulnerability rows, $(grep '^KB:' "$work/wes.txt" | sort -u | wc -l) distinct KBs"
        echo "\$ wes --definitions $definitions $systeminfo   (perf stat -r $wes_runs)"
        wes_line=$(mean_time "$wes_runs" wes --definitions "$definitions" "$systeminfo")
        echo "$wes_line"
        awk -v k="$(echo "$kbgap_line" | awk '{ print $1 }')" -v w="$(echo "$wes_line" | awk '{ print $1 }')" \
            'BEGIN { printf "kbgap missing: %.1f ms; WES-NG: %.2f s; kbgap is %.0f times faster\n", k * 1000, w, w / k }'
        awk -v k="$(echo "$check_line" | awk '{ print $1 }')" -v w="$(echo "$wes_line" | awk '{ print $1 }')" \
            'BEGIN { printf "kbgap check: %.1f ms; WES-NG: %.2f s; kbgap is %.0f times faster\n", k * 1000, w, w / k }'
    else
        echo "wes is not on PATH (pip install wesng chardet): no WES-NG comparison"
    fi
    unset KBGAP_DB
else
    section "1-2. skipped: $shared/data (definitions.zip, the CVRF feed, windows-update/) not found"
fi

section "3. HTTP load test, $machines machines, $connections connections, $duration s per endpoint"
echo "\$ kbgap-loadtest --machines $machines --connections $connections --duration $duration"
"$loadtest" --machines "$machines" --connections "$connections" --duration "$duration"

if [[ ${CRITERION:-0} == 1 ]]; then
    section "4. criterion: engine on the Windows 7 machine, fixture catalog"
    echo "\$ cargo bench -p kbgap-store-sqlite --bench assess"
    cargo bench -p kbgap-store-sqlite --bench assess
    if [[ -f $definitions && -d $cvrf ]]; then
        section "4b. criterion: engine on the Windows 7 machine, full catalog"
        echo "\$ KBGAP_BENCH_CATALOG=$definitions:$cvrf cargo bench -p kbgap-store-sqlite --bench assess"
        KBGAP_BENCH_CATALOG="$definitions:$cvrf" cargo bench -p kbgap-store-sqlite --bench assess
    fi
fi
