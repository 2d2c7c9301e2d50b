"""What the Spark and Dask tests share: documents and GDELT rows of our own on the 2023 Moscow
talks, a Spark session maker, and the native path's results to compare with."""

import gc
import os
import shutil
import sys
import warnings

import pytest

import detente

# Our own sentences on the 2023 Moscow talks, beside the seed article.
SENTENCES = [
    ("d1", "2023-05-10", "Russian Foreign Minister Sergei Lavrov met Iranian Foreign Minister Hossein "
                         "Amir-Abdollahian in Moscow on Wednesday."),
    ("d2", "2023-05-10", "Turkey and Syria agreed to draft a roadmap for restoring relations, the Russian "
                         "foreign ministry said."),
    ("d3", "2023-04-25", "Syrian President Bashar al-Assad accused Turkey of occupying parts of northern Syria."),
]


def gdelt_row(gid, date, a, b, code):
    """A GDELT 2.0 row of our own: two governments, one code."""
    f = [""] * 61
    for i, v in [(0, gid), (1, date), (5, a), (7, a[:3]), (15, b), (17, b[:3]), (26, code), (31, "1"), (53, "SY")]:
        f[i] = v
    return "\t".join(f)


GDELT_DAYS = {
    "20230425.export.CSV": [gdelt_row("41", "20230425", "TURGOV", "SYRGOV", "040"),
                            gdelt_row("42", "20230425", "SYRGOV", "TURGOV", "112")],
    "20230510.export.CSV": [gdelt_row("43", "20230510", "TURGOV", "SYRGOV", "043"),
                            gdelt_row("44", "20230510", "RUSGOV", "IRNGOV", "042"),
                            gdelt_row("45", "20230510", "TURGOV", "SYRGOV", "036"),
                            gdelt_row("45", "20230510", "TURGOV", "SYRGOV", "036")],
    "20240115.export.CSV": [gdelt_row("46", "20240115", "SYRGOV", "TURGOV", "112")],
}


def require_java():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("Java is required for the Spark tests (Java 17: apt install openjdk-17-jre-headless)")


def session(master, **conf):
    from pyspark.sql import SparkSession

    require_java()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    b = (SparkSession.builder.master(master).appName("detente-tests")
         .config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.memory", "1g")
         .config("spark.executor.memory", "1g"))
    for k, v in conf.items():
        b = b.config(k, v)
    return b.getOrCreate()

@pytest.fixture(scope="module")
def gdelt_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("gdelt")
    for name, rows in GDELT_DAYS.items():
        (d / name).write_text("\n".join(rows) + "\n")
    return d


def record(table):
    """Events as comparable rows: every field but the ones Spark widens, as Python values."""
    rows = table.to_pylist()
    for r in rows:
        r["span"] = list(r["span"]) if r["span"] is not None else None
    return sorted(rows, key=lambda r: r["id"])


def events_of(model):
    return record(model.events(limit=100_000))


def native(gdelt_files):
    m = detente.Model()
    m.import_file(sorted(str(p) for p in gdelt_files.iterdir()), kind="gdelt2")
    return m




def collect_quietly():
    """Collects what a Spark session left to the garbage collector (its result sockets) while
    their ResourceWarnings are ignored, so that they do not surface in a later test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
