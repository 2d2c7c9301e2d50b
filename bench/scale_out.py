#!/usr/bin/env python3
"""Scale-out bench (issue 25): code generated news-style documents and parse generated GDELT 2.0
rows with Spark local[1] vs local[2] and Dask 1 vs 2 worker processes, against detente's own
single-process paths on the same data. Reports throughput, scaling efficiency, each engine's
per-row overhead over native and peak memory per worker, and projects a 300-million-row GDELT
history onto a 10-node cluster from the measured per-core rates.

    python bench/scale_out.py --detente target/release/detente --work /tmp/scale
    python bench/scale_out.py --docs 20000 --rows 500000       # a quicker look

Use a release build of the module (`maturin develop --release` or a release wheel) and of the
CLI: a debug build measures the debug build. Generated data is kept in --work and reused.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq

import detente
from detente import _detente

# Actors, verbs and places of our own news-style sentences (public facts: who held which office
# in 2023); the coder is not tuned on these templates.
PEOPLE = [
    ("Turkish President Recep Tayyip Erdogan", "Turkey"),
    ("Syrian President Bashar al-Assad", "Syria"),
    ("Russian Foreign Minister Sergei Lavrov", "Russia"),
    ("Iranian Foreign Minister Hossein Amir-Abdollahian", "Iran"),
    ("US Secretary of State Antony Blinken", "the United States"),
    ("French President Emmanuel Macron", "France"),
    ("Egyptian President Abdel Fattah el-Sisi", "Egypt"),
    ("Israeli Prime Minister Benjamin Netanyahu", "Israel"),
    ("Chinese Foreign Minister Qin Gang", "China"),
    ("Saudi Crown Prince Mohammed bin Salman", "Saudi Arabia"),
]
PLACES = ["Moscow", "Ankara", "Damascus", "Tehran", "Geneva", "Astana", "Cairo", "Riyadh", "Beijing", "Paris"]
TEMPLATES = [
    "{a} met {b} in {place} on {day}.",
    "{a} accused {cb} of violating the ceasefire.",
    "{a} called on {cb} to withdraw its troops.",
    "{ca} and {cb} signed an agreement on trade and energy in {place}.",
    "{a} condemned the attack and warned {cb} of consequences.",
    "{a} praised the talks with {b}, the foreign ministry said.",
    "{ca} imposed new sanctions on {cb}.",
    "{a} threatened to cut diplomatic ties with {cb}.",
    "{a} hosted {b} for talks on the refugee crisis.",
    "{ca} offered to mediate between the two sides.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

# GDELT 2.0 export rows: governments of a dozen countries, codes across the four quad classes.
COUNTRIES = ["TUR", "SYR", "RUS", "IRN", "USA", "FRA", "ISR", "EGY", "CHN", "GBR", "SAU", "QAT"]
CODES = ["040", "043", "036", "057", "112", "190", "0311", "1011", "042", "051", "173", "138"]


def documents(n, seed=7):
    rnd = random.Random(seed)
    ids, published, texts = [], [], []
    for i in range(n):
        sentences = []
        for _ in range(rnd.randint(2, 4)):
            (a, ca), (b, cb) = rnd.sample(PEOPLE, 2)
            sentences.append(rnd.choice(TEMPLATES).format(a=a, b=b, ca=ca, cb=cb, place=rnd.choice(PLACES),
                                                          day=rnd.choice(DAYS)))
        text = " ".join(sentences)
        ids.append(f"bench-doc-{i}")
        published.append(f"2023-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}")
        texts.append(text[0].upper() + text[1:])
    return pa.table({"id": ids, "published": published, "text": texts})


def gdelt_files(work, rows, files, seed=11):
    """`files` GDELT 2.0 export files of rows/files rows each (written once, then reused)."""
    d = os.path.join(work, f"gdelt-{rows}-{files}")
    done = os.path.join(d, "_DONE")
    if os.path.exists(done):
        return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".CSV"))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    rnd = random.Random(seed)
    per = rows // files
    gid = 1_000_000_000
    paths = []
    for k in range(files):
        day = 20150219 + k  # consecutive days (no month end in the first 9)
        lines = []
        for _ in range(per):
            a, b = rnd.sample(COUNTRIES, 2)
            f = [""] * 61
            code = rnd.choice(CODES)
            f[0], f[1] = str(gid), str(20150219 + rnd.randint(0, 8))
            f[5], f[7], f[15], f[17] = a + "GOV", a, b + "GOV", b
            f[26], f[27], f[28] = code, code[:3], code[:2]
            f[31], f[53] = str(rnd.randint(1, 9)), "SY"
            gid += 1
            lines.append("\t".join(f))
        path = os.path.join(d, f"{day}{k:03d}.export.CSV")
        with open(path, "w") as out:
            out.write("\n".join(lines) + "\n")
        paths.append(path)
    open(done, "w").close()
    return paths


class PeakMemory:
    """Samples the resident memory of this process's descendants every 0.2 s; the peak per
    process kind (the Spark JVM, Python workers, Dask workers)."""

    def __init__(self, *kinds):
        import psutil

        self.psutil, self.peaks, self.stop, self.kinds = psutil, {}, threading.Event(), set(kinds)
        self.thread = threading.Thread(target=self.run, daemon=True)

    @staticmethod
    def kind(p):
        cmd = " ".join(p.cmdline())
        if "java" in p.name():
            return "spark jvm"
        if "pyspark.daemon" in cmd or "pyspark/daemon" in cmd or "pyspark.worker" in cmd:
            return "spark python worker"
        if "spawn_main" in cmd or "distributed" in cmd:
            return "dask worker"
        return None

    def run(self):
        me = self.psutil.Process()
        while not self.stop.is_set():
            try:
                for p in me.children(recursive=True):
                    try:
                        k = self.kind(p)
                        if k in self.kinds:
                            self.peaks[k] = max(self.peaks.get(k, 0), p.memory_info().rss)
                    except self.psutil.Error:
                        pass
            except self.psutil.Error:
                pass
            time.sleep(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def mb(self):
        return {k: round(v / 2**20) for k, v in sorted(self.peaks.items())}


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def native(args, docs, files):
    out = {}
    store = os.path.join(args.work, "store-native")
    for threads in (1, 2):
        shutil.rmtree(store, ignore_errors=True)
        cmd = [args.detente, "--data", store, "import", "gdelt2", "--threads", str(threads), *files]
        secs, _ = timed(lambda: subprocess.run(cmd, check=True, capture_output=True))
        out[f"native import into a store, {threads} parse thread(s)"] = ("import", secs, threads)
    # The work one engine task does, in one process on one core: parse a file, keep nothing.
    secs, _ = timed(lambda: [_detente.read_files([f], "gdelt2", False) for f in files])
    out["native read_files (parse only), 1 core"] = ("parse", secs, 1)
    secs, _ = timed(lambda: [detente.code_batch(b) for b in docs.to_batches(max_chunksize=1000)])
    out["native code_batch, one process"] = ("code", secs, 1)
    return out


def spark_runs(args, docs_path, files):
    from pyspark.sql import SparkSession

    from detente import spark as ds

    out, mem = {}, {}
    os.environ["PYSPARK_PYTHON"] = sys.executable
    for cores in (1, 2):
        s = (SparkSession.builder.master(f"local[{cores}]").appName("detente-bench")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "4g")
             .config("spark.sql.shuffle.partitions", str(2 * cores)).getOrCreate())
        try:
            with PeakMemory("spark jvm", "spark python worker") as peak:
                secs, n = timed(lambda: ds.import_gdelt(s, files).count())
                assert n == args.rows, n
                out[f"spark local[{cores}] import_gdelt"] = ("parse", secs, cores)
                docs = s.read.parquet(docs_path).repartition(8 * cores)
                docs.cache().count()
                secs, _ = timed(lambda: ds.code_documents(docs).count())
                out[f"spark local[{cores}] code_documents"] = ("code", secs, cores)
            mem[f"spark local[{cores}]"] = peak.mb()
        finally:
            s.stop()
    return out, mem


def dask_runs(args, docs, files):
    import dask.dataframe as dd
    import distributed

    from detente import dask as ddt

    out, mem = {}, {}
    frame = docs.to_pandas()
    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None, memory_limit="6GiB") as cluster, \
                distributed.Client(cluster) as client, PeakMemory("dask worker") as peak:
            secs, n = timed(lambda: int(ddt.import_gdelt(files).map_partitions(len).compute().sum()))
            assert n == args.rows, n
            out[f"dask {workers} worker(s) import_gdelt"] = ("parse", secs, workers)
            ddocs = client.persist(dd.from_pandas(frame, npartitions=8 * workers))
            distributed.wait(ddocs)
            secs, _ = timed(lambda: int(ddt.code_documents(ddocs).map_partitions(len).compute().sum()))
            out[f"dask {workers} worker(s) code_documents"] = ("code", secs, workers)
        mem[f"dask {workers} worker(s)"] = peak.mb()
    return out, mem


def summary(results, n):
    """Scaling efficiency (2 cores against 1), each engine's cost per row over the native path
    on one core, and the projection of a 300-million-row GDELT history onto 10 nodes."""
    def secs(name):
        return results[name][1] if name in results else None

    native_parse, native_code = secs("native read_files (parse only), 1 core"), secs("native code_batch, one process")
    print("\n| engine, work | 1 core (s) | 2 cores (s) | scaling efficiency | cost over native, 1 core |")
    print("| --- | --- | --- | --- | --- |")
    rates = {}
    for engine, one, two in [("spark", "spark local[1]", "spark local[2]"), ("dask", "dask 1 worker(s)", "dask 2 worker(s)")]:
        for work, what, base in [("import_gdelt", "parse", native_parse), ("code_documents", "code", native_code)]:
            t1, t2 = secs(f"{one} {work}"), secs(f"{two} {work}")
            if t1 is None or t2 is None:
                continue
            eff = t1 / t2 / 2
            unit = "row" if what == "parse" else "doc"
            over = f"{(t1 - base) / n[what] * 1e6:+.2f} µs/{unit}" if base else "n/a"
            print(f"| {engine}, {work} | {t1:.1f} | {t2:.1f} | {eff:.0%} | {over} |")
            rates[(engine, what)] = (n[what] / t1, eff)
    store = secs("native import into a store, 2 parse thread(s)")
    history, nodes, cores = 300e6, 10, 8
    print(f"\nProjection: {history:,.0f} GDELT rows on {nodes} nodes of {cores} cores "
          "(per-core rate measured on one core here; the 2-core efficiency as each added core's share):")
    for engine in ("spark", "dask"):
        if (engine, "parse") in rates:
            rate, eff = rates[(engine, "parse")]
            total = rate * nodes * cores * eff
            print(f"- {engine}: {rate:,.0f} rows/s/core × {nodes * cores} cores × {eff:.2f} = {total:,.0f} rows/s "
                  f"→ {history / total / 60:.1f} min to parse")
    if store:
        rate = n["import"] / store
        print(f"- then one writer stores them: {rate:,.0f} rows/s (native import, 2 threads) → "
              f"{history / rate / 60:.1f} min; the store has one writer, so this part does not scale out")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--work", default="/tmp/detente-scale-out")
    ap.add_argument("--detente", default="target/release/detente")
    ap.add_argument("--engines", default="native,spark,dask")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    files = gdelt_files(args.work, args.rows, args.files)
    docs = documents(args.docs)
    docs_path = os.path.join(args.work, f"docs-{args.docs}.parquet")
    pq.write_table(docs, docs_path)
    results, memory = {}, {}
    engines = args.engines.split(",")
    if "native" in engines:
        results.update(native(args, docs, files))
    if "spark" in engines:
        r, m = spark_runs(args, docs_path, files)
        results.update(r)
        memory.update(m)
    if "dask" in engines:
        r, m = dask_runs(args, docs, files)
        results.update(r)
        memory.update(m)

    n = {"import": args.rows, "parse": args.rows, "code": args.docs}
    print(f"\n{args.rows:,} GDELT rows in {len(files)} files; {args.docs:,} documents\n")
    print("| run | cores | seconds | per second |")
    print("| --- | --- | --- | --- |")
    for name, (what, secs, cores) in results.items():
        print(f"| {name} | {cores} | {secs:.1f} | {n[what] / secs:,.0f} {'docs' if what == 'code' else 'rows'} |")
    summary(results, n)
    print("\nPeak resident memory (MB), per process kind:")
    for k, v in memory.items():
        print(f"- {k}: {v}")
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump({"rows": args.rows, "docs": args.docs, "files": len(files), "results": results,
                   "memory_mb": memory}, f, indent=1)
    print(f"\n(raw numbers in {os.path.join(args.work, 'results.json')})")


if __name__ == "__main__":
    main()
