"""detente on real Spark, in a local[2] session. Java is required: without it these tests fail,
they do not skip."""

import json
import os
import pathlib
import subprocess

import pyarrow.compute as pc
import pytest

import detente
from conftest import ROOT
from engines import GDELT_DAYS, SENTENCES, collect_quietly, events_of, gdelt_files, native, record, session  # noqa: F401

pyspark = pytest.importorskip("pyspark", reason="pyspark is installed by scripts/test.sh")
from detente import spark as ds  # noqa: E402

# pyspark leaves the local sockets it collects results through to the garbage collector.
pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

SHARED = pathlib.Path(os.environ.get("DETENTE_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="module")
def spark():
    s = session("local[2]")
    assert s.sparkContext.master == "local[2]"
    yield s
    s.stop()
    collect_quietly()


def test_a_partitioned_export_goes_through_spark_and_back_into_a_store_unchanged(spark, gdelt_files, tmp_path):
    m = native(gdelt_files)
    exported = tmp_path / "events"
    assert m.export_events(exported, partition_by="month") == 6

    df = ds.read_dataset(spark, str(exported))
    assert df.count() == 6
    # Spark's aggregates are the store's sums, cell for cell.
    sums = ds.aggregate(df).toArrow()
    mine = detente.Aggregates.from_events(m.events(limit=100)).to_arrow()
    key = ds.AGGREGATE_KEYS
    assert sorted(sums.select(key + ds.AGGREGATE_SUMS).to_pylist(), key=str) == \
        sorted(mine.cast(sums.schema).to_pylist(), key=str)

    # Written by Spark, partitioned, and imported: the same events and the same series.
    out = tmp_path / "from_spark"
    ds.write_dataset(df, str(out))
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["year=2023", "year=2024"]
    back = detente.Model()
    report = back.import_file(str(out), kind="parquet")
    assert sum(f["added"] for f in report["files"]) == 6 and not report["bad_rows"]
    assert events_of(back) == events_of(m)
    a, b = m.relation("TUR", "SYR", freq="day").table, back.relation("TUR", "SYR", freq="day").table
    assert a.equals(b)
    # A second import of Spark's folder changes nothing.
    again = back.import_file(str(out), kind="parquet")
    assert all(f["already_imported"] for f in again["files"])


def test_sums_from_spark_are_aggregates_that_answer_as_the_store_and_count_each_event_once(spark, gdelt_files):
    m = native(gdelt_files)
    gdelt = ds.import_gdelt(spark, str(gdelt_files / "*.export.CSV"))
    # The same events twice (two deliveries of the same files): a store keeps each once.
    sums = ds.aggregate(gdelt.unionByName(gdelt)).toArrow()
    merged = detente.Aggregates.from_arrow(sums)
    assert merged.events == 6
    assert merged.relation("TUR", "SYR", freq="day").table.equals(m.relation("TUR", "SYR", freq="day").table)
    assert merged.network().edges.equals(m.network().edges)


def test_gdelt_files_parse_on_the_executors_as_the_native_import_does(spark, gdelt_files):
    df = ds.import_gdelt(spark, str(gdelt_files / "*.export.CSV"))
    assert df.rdd.getNumPartitions() == 3
    events = df.toArrow()
    m = native(gdelt_files)
    assert events.num_rows == 6
    assert sorted(events.column("id").to_pylist()) == sorted(m.events(limit=100).column("id").to_pylist())
    # The repeated row of one file is one event, as in a store.
    assert pc.count_distinct(events.column("id")).as_py() == 6


def test_a_bad_file_on_an_executor_fails_with_the_importers_located_error(spark, gdelt_files, tmp_path):
    bad = tmp_path / "mentions.CSV"
    bad.write_text("\t".join(["1"] * 16) + "\n")
    with pytest.raises(Exception) as err:
        ds.import_gdelt(spark, [str(gdelt_files / "20230425.export.CSV"), str(bad)]).collect()
    text = str(err.value)
    assert f"{bad}, line 1" in text and "mentions file" in text, text[-2000:]

    # Strict: one bad row fails its file, at its line.
    rows = GDELT_DAYS["20230510.export.CSV"][:2] + ["not\ta\trow"]
    strict = tmp_path / "strict.export.CSV"
    strict.write_text("\n".join(rows) + "\n")
    with pytest.raises(Exception) as err:
        ds.import_gdelt(spark, str(strict), strict=True).collect()
    assert f"{strict}, line 3" in str(err.value), str(err.value)[-2000:]


def test_coding_on_an_executor_gives_exactly_the_events_detente_code_gives(spark, detente_bin, tmp_path):
    seed = json.loads((SHARED / "corpus" / "seed-turkiye-syria-talks.json").read_text())
    docs = [(seed["id"], seed["published"], seed.get("title"), seed["text"])]
    docs += [(i, p, None, t) for i, p, t in SENTENCES]
    df = spark.createDataFrame(docs, "id STRING, published STRING, title STRING, text STRING").repartition(2)
    coded = record(ds.code_documents(df).toArrow())
    assert len(coded) >= 6

    lines = tmp_path / "docs.jsonl"
    lines.write_text("\n".join(json.dumps({"id": i, "published": p, "title": t, "text": x}) for i, p, t, x in docs))
    out = subprocess.run([str(detente_bin), "--data", str(tmp_path / "s"), "code", str(lines), "--format", "jsonl"],
                         capture_output=True, text=True, check=True).stdout
    cli = sorted((json.loads(line) for line in out.splitlines()), key=lambda r: r["id"])
    fields = ["id", "date", "source", "target", "code", "goldstein", "doc_id", "sentence", "evidence", "rule"]
    assert [{k: str(r[k]) for k in fields} for r in coded] == [{k: str(r[k]) for k in fields} for r in cli]
