"""The Python module on a generated GDELT 2.0 file: `Model(dir).import_file(FILE, "gdelt2")` into a
fresh store (aggregates and dyad index built, as a notebook's model has them), then the daily
10-year TUR–SYR series called 300 times; then the store opened again by a new model (what a
notebook or `detente serve` pays at start).

    python bench/python_import.py [--file bench/out/gdelt-5000000.CSV] [--runs 3]

Needs the module built in release mode (`pip install ./pybind`) and the file (made by
`bench/import_vs_polars.py`). Prints wall times and peak resident memory (ru_maxrss) per run.
"""

import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]

RUN = r"""
import resource, sys, time, detente
path, store, mode = sys.argv[1:4]
t = time.perf_counter()
m = detente.Model(store)
if mode == "import":
    r = m.import_file(path, "gdelt2")
    rows = r["files"][0]["rows"]
t1 = time.perf_counter()
lat = []
for _ in range(300):
    a = time.perf_counter()
    m.relation("TUR", "SYR", freq="day", start="2015-01-01", end="2024-12-31")
    lat.append(time.perf_counter() - a)
first, lat = lat[0], sorted(lat)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{mode:6s} {t1 - t:5.2f} s, peak {peak:4.0f} MB; series: first {1000 * first:.2f} ms, "
      f"p50 {1000 * lat[150]:.3f} ms, p99 {1000 * lat[297]:.3f} ms")
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", type=pathlib.Path, default=ROOT / "bench" / "out" / "gdelt-5000000.CSV")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if not a.file.exists():
        sys.exit(f"missing {a.file}: python bench/import_vs_polars.py --rows 5000000 makes it")
    print(f"file: {a.file} ({a.file.stat().st_size / 1e9:.2f} GB)")
    for _ in range(a.runs):
        store = pathlib.Path(tempfile.mkdtemp(dir=a.file.parent, prefix="pystore-"))
        try:
            for mode in ("import", "open"):
                subprocess.run([sys.executable, "-c", RUN, str(a.file), str(store), mode], check=True)
        finally:
            shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
