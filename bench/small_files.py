"""Many small GDELT 2.0 files (as GDELT publishes them, every 15 minutes) in one import, then one
dyad series: the import's time and peak memory, the segments it leaves, and the series' time and
peak memory as a new process, against the same rows imported as one file.

    python bench/small_files.py [--rows 1000000] [--per-file 1500] [--detente target/release/detente]

Needs release builds: cargo build --release -p detente-server -p detente-bench. `--detente`
compares another build (an older one, say) on the same files.
"""

import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile

from import_vs_polars import run  # (wall seconds, peak RSS in MB, stdout) of a command

ROOT = pathlib.Path(__file__).resolve().parents[1]
RELEASE = ROOT / "target" / "release"
SERIES = ["relation", "TUR", "SYR", "--freq", "month", "--start", "2015-01-01", "--end", "2024-12-31", "--format", "csv"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--per-file", type=int, default=1500)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--detente", type=pathlib.Path, default=RELEASE / "detente")
    a = ap.parse_args()
    for b in (a.detente, RELEASE / "gen_gdelt"):
        if not b.exists():
            sys.exit(f"missing {b}: cargo build --release -p detente-server -p detente-bench")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    whole = out / f"gdelt-{a.rows}.CSV"
    if not whole.exists():
        subprocess.run([str(RELEASE / "gen_gdelt"), str(a.rows), str(whole)], check=True)
    work = pathlib.Path(tempfile.mkdtemp(dir=out, prefix="small-"))
    try:
        # Cut line by line: this process stays small, so that a child's peak memory (which
        # counts this process's pages between fork and exec) is the child's own.
        files, part, n = [], None, 0
        with open(whole, "rb") as f:
            for line in f:
                if n % a.per_file == 0:
                    if part:
                        part.close()
                    files.append(str(work / f"{n // a.per_file:06d}.export.CSV"))
                    part = open(files[-1], "wb")
                part.write(line)
                n += 1
        if part:
            part.close()
        print(f"{len(files)} files of {a.per_file} rows ({a.rows} rows), {a.detente}")
        for label, inputs in (("one file", [str(whole)]), (f"{len(files)} files", files)):
            for _ in range(a.runs):
                store = work / "store"
                shutil.rmtree(store, ignore_errors=True)
                wall, peak, _ = run([str(a.detente), "--data", str(store), "import", "gdelt2", *inputs])
                segments = len(list((store / "segments").iterdir()))
                q = [run([str(a.detente), "--data", str(store), *SERIES]) for _ in range(3)]
                best = min(q, key=lambda r: r[0])
                print(f"{label}: import {wall:.2f} s (peak {peak:.0f} MB), {segments} segments; "
                      f"series best of 3 {best[0]:.3f} s (peak {best[1]:.0f} MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
