"""Two or more `detente` builds importing the same GDELT 2.0 file, in alternating runs.

    python bench/ab_import.py --runs 10 /tmp/detente-old target/release/detente

Each run imports the file into a fresh store (synced and removed between runs) and records the
wall time, user and system CPU, and peak resident memory of the process. Builds alternate run by
run, so that the drift of a shared VM (tens of percent over minutes) falls on all of them alike;
medians are printed per build. Make the file with bench/import_vs_polars.py (or gen_gdelt).
"""

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def one_import(detente, data_file, store):
    """Imports `data_file` into the empty `store`; returns (wall s, user s, system s, peak MB)."""
    t = time.perf_counter()
    p = subprocess.Popen([detente, "--data", str(store), "import", "gdelt2", str(data_file)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{detente} failed: {err.decode(errors='replace')}")
    return wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--file", type=pathlib.Path, default=ROOT / "bench" / "out" / "gdelt-5000000.CSV")
    ap.add_argument("builds", nargs="+", help="paths of detente binaries")
    a = ap.parse_args()
    if not a.file.exists():
        sys.exit(f"missing {a.file}: python bench/import_vs_polars.py --rows 5000000 makes it")
    results = {b: [] for b in a.builds}
    for _ in range(a.runs):
        for build in a.builds:
            store = pathlib.Path(tempfile.mkdtemp(prefix="detente-ab-"))
            shutil.rmtree(store)
            os.sync()
            time.sleep(0.5)
            try:
                results[build].append(one_import(build, a.file, store))
            finally:
                shutil.rmtree(store, ignore_errors=True)
    for build, runs in results.items():
        med = [statistics.median(r[k] for r in runs) for k in range(4)]
        print(f"{build}: wall median {med[0]:.2f} s (min {min(r[0] for r in runs):.2f}), "
              f"user {med[1]:.2f} s, system {med[2]:.2f} s, peak {med[3]:.0f} MB ({len(runs)} runs)")


if __name__ == "__main__":
    main()
