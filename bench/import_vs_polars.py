"""detente import + one dyad series against polars, on the same GDELT 2.0 file, in one run.

    python bench/import_vs_polars.py [--rows 5000000] [--file bench/out/gdelt-5m.CSV]

detente: `detente import gdelt2 FILE` into a fresh on-disk store (every row's full record,
fsync'd, with the id index that makes re-imports idempotent), then `detente relation TUR SYR
--freq day` over ten years as a new process (which sums the pair's events from a scan of the
country columns: a one-off command does not build every dyad's aggregates). polars: a projected
lazy scan of the columns a series needs, collected into memory (not durable), then a filter and
group_by for the same dyad. Both run as separate processes on a warm page cache; wall times and
peak resident memory (ru_maxrss) of each process are reported, and the ratio of the totals.

With --durable, polars also does the work detente's import does, as an analyst would without
detente: a process streams the 17 fields detente reads from each row into a Parquet file
(`sink_parquet`, snappy: faster here, and in a fifth of the memory, than loading the frame and
then writing it with any of polars' IPC or Parquet writers) and syncs it and its directory; a
second process then scans that file for the same dyad series. This ratio is of
process wall times on both sides (an import and a series, against a conversion and a query).
Needs release builds: cargo build --release -p detente-server -p detente-bench.
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
RELEASE = ROOT / "target" / "release"

POLARS = r"""
import sys, time, polars as pl
f = sys.argv[1]
t0 = time.perf_counter()
names = [f"c{i}" for i in range(61)]
# GLOBALEVENTID, SQLDATE, Actor1CountryCode, Actor2CountryCode, EventCode, GoldsteinScale, NumMentions
df = (pl.scan_csv(f, separator="\t", has_header=False, new_columns=names, quote_char=None,
                  schema_overrides={"c1": pl.Utf8, "c7": pl.Utf8, "c17": pl.Utf8, "c26": pl.Utf8})
        .select(["c0", "c1", "c7", "c17", "c26", "c30", "c31"]).collect())
t1 = time.perf_counter()
s = (df.filter(((pl.col("c7") == "TUR") & (pl.col("c17") == "SYR")) | ((pl.col("c7") == "SYR") & (pl.col("c17") == "TUR")))
       .group_by("c1").agg(pl.len().alias("count"), pl.col("c30").sum().alias("goldstein")).sort("c1"))
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {df.height} {s.height} {s['count'].sum()}")
"""


# The fields detente reads from a GDELT 2.0 row (core/src/import/gdelt.rs), written durably.
POLARS_CONVERT = r"""
import os, sys, time, polars as pl
f, out = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
names = [f"c{i}" for i in range(61)]
read = [0, 1, 5, 6, 7, 8, 15, 16, 17, 18, 26, 30, 31, 52, 53, 59, 60]
text = {f"c{i}": pl.Utf8 for i in read if i not in (0, 30, 31)}
(pl.scan_csv(f, separator="\t", has_header=False, new_columns=names, quote_char=None, schema_overrides=text)
   .select([f"c{i}" for i in read]).sink_parquet(out, compression="snappy"))
# Durable as detente's segments are: the file, then its directory entry.
for path in (out, os.path.dirname(os.path.abspath(out))):
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
print(f"{time.perf_counter() - t0:.3f}")
"""

POLARS_QUERY = r"""
import sys, polars as pl
s = (pl.scan_parquet(sys.argv[1]).select(["c1", "c7", "c17", "c30"])
       .filter(((pl.col("c7") == "TUR") & (pl.col("c17") == "SYR")) | ((pl.col("c7") == "SYR") & (pl.col("c17") == "TUR")))
       .group_by("c1").agg(pl.len().alias("count"), pl.col("c30").sum().alias("goldstein")).sort("c1").collect())
print(s["count"].sum())
"""


def run(argv, stdout=subprocess.PIPE):
    """Runs a command; returns (wall seconds, peak RSS in MB, stdout)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    out = p.stdout.read() if stdout == subprocess.PIPE else b""
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed: {err.decode(errors='replace')}")
    return wall, usage.ru_maxrss / 1024, out.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--file", type=pathlib.Path)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--durable", action="store_true", help="also time polars converting the file to Parquet, then querying it")
    a = ap.parse_args()
    for b in ("detente", "gen_gdelt"):
        if not (RELEASE / b).exists():
            sys.exit(f"missing {RELEASE / b}: cargo build --release -p detente-server -p detente-bench")
    path = a.file or ROOT / "bench" / "out" / f"gdelt-{a.rows}.CSV"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ({a.rows} rows)")
        run([str(RELEASE / "gen_gdelt"), str(a.rows), str(path)])
    size = path.stat().st_size
    print(f"file: {path} ({size / 1e9:.2f} GB)")
    # Warm the page cache for both sides.
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass
    results, durable = [], []
    for _ in range(a.runs):
        store = pathlib.Path(tempfile.mkdtemp(dir=path.parent, prefix="store-"))
        try:
            imp_wall, imp_rss, out = run([str(RELEASE / "detente"), "--data", str(store), "import", "gdelt2", str(path), "--format", "jsonl"])
            q_wall, q_rss, series = run([str(RELEASE / "detente"), "--data", str(store), "relation", "TUR", "SYR", "--freq", "day",
                                         "--start", "2015-01-01", "--end", "2024-12-31", "--format", "csv"])
            store_bytes = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
        finally:
            shutil.rmtree(store, ignore_errors=True)
        pl_wall, pl_rss, pl_out = run([sys.executable, "-c", POLARS, str(path)])
        load, group, rows, days, total = pl_out.split()
        # Both sides must count the same events: a fast wrong answer is no answer.
        lines = series.splitlines()
        at = lines[0].split(",").index("count")
        ours_total = sum(int(line.split(",")[at]) for line in lines[1:])
        if ours_total != int(total):
            sys.exit(f"the series disagree: detente counts {ours_total} TUR-SYR events, polars {total}")
        results.append((imp_wall, q_wall, imp_rss, q_rss, float(load), float(group), pl_wall, pl_rss, store_bytes))
        if a.durable:
            parquet = path.parent / "polars-durable.parquet"
            try:
                conv_wall, conv_rss, _ = run([sys.executable, "-c", POLARS_CONVERT, str(path), str(parquet)])
                query_wall, query_rss, counted = run([sys.executable, "-c", POLARS_QUERY, str(parquet)])
                parquet_bytes = parquet.stat().st_size
            finally:
                parquet.unlink(missing_ok=True)
            if int(counted) != ours_total:
                sys.exit(f"the series disagree: detente counts {ours_total} TUR-SYR events, polars on Parquet {counted}")
            durable.append((imp_wall + q_wall, conv_wall + query_wall, max(conv_rss, query_rss), max(imp_rss, q_rss)))
            print(f"polars durable: convert to Parquet {conv_wall:.2f} s (peak {conv_rss:.0f} MB; "
                  f"{parquet_bytes / 1e9:.2f} GB), query {query_wall:.3f} s (peak {query_rss:.0f} MB)")
        print(f"detente: import {imp_wall:.2f} s (peak {imp_rss:.0f} MB), series {q_wall:.3f} s "
              f"({len(series.splitlines()) - 1} days; peak {q_rss:.0f} MB); store {store_bytes / 1e9:.2f} GB")
        print(f"polars:  load {float(load):.2f} s + group_by {float(group):.3f} s in-process "
              f"({pl_wall:.2f} s as a process, peak {pl_rss:.0f} MB), {rows} rows, {days} days; both count {total} events")
    # Each side's best run (timings on a shared VM vary by tens of percent from run to run).
    ours = min(r[0] + r[1] for r in results)
    theirs = min(r[4] + r[5] for r in results)
    as_process = min(r[6] for r in results)
    our_peak = max(max(r[2], r[3]) for r in results)
    their_peak = max(r[7] for r in results)
    print(f"end to end, best of {len(results)}: detente {ours:.2f} s vs polars {theirs:.2f} s (in-process; "
          f"{as_process:.2f} s as a process): polars/detente = {theirs / ours:.2f}x; "
          f"peak memory detente {our_peak:.0f} MB vs polars {their_peak:.0f} MB")
    if durable:
        ours, theirs = min(d[0] for d in durable), min(d[1] for d in durable)
        print(f"the same durable work, best of {len(durable)} (processes): detente {ours:.2f} s vs polars "
              f"{theirs:.2f} s: polars/detente = {theirs / ours:.2f}x; peak memory detente "
              f"{max(d[3] for d in durable):.0f} MB vs polars {max(d[2] for d in durable):.0f} MB")


if __name__ == "__main__":
    main()
