"""detente on a real Dask cluster: a distributed.LocalCluster of two worker processes, one thread
each. The three operations, the round trip through a partitioned dataset, executor errors and a
worker killed mid-task."""

import os

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import detente
from engines import SENTENCES, events_of, gdelt_files, native  # noqa: F401

dask = pytest.importorskip("dask", reason="dask is installed by scripts/test.sh")
distributed = pytest.importorskip("distributed")
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402

from detente import dask as ddt  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  memory_limit="2GiB") as cluster, distributed.Client(cluster) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c


def sums_of(table):
    return sorted(table.select(ddt.AGGREGATE_KEYS + ddt.AGGREGATE_SUMS).to_pylist(), key=str)


def test_a_partitioned_export_goes_through_dask_and_back_into_a_store_unchanged(client, gdelt_files, tmp_path):
    m = native(gdelt_files)
    exported = tmp_path / "events"
    m.export_events(exported, partition_by="month")

    df = ddt.read_dataset(str(exported))
    assert len(df) == 6
    sums = pa.Table.from_pandas(ddt.aggregate(df).compute(), preserve_index=False)
    mine = detente.Aggregates.from_events(m.events(limit=100)).to_arrow()
    assert sums_of(sums) == sums_of(mine)

    out = tmp_path / "from_dask"
    ddt.write_dataset(df, str(out))
    back = detente.Model()
    report = back.import_file(str(out), kind="parquet")
    assert sum(f["added"] for f in report["files"]) == 6 and not report["bad_rows"]
    assert events_of(back) == events_of(m)
    assert m.relation("TUR", "SYR", freq="day").table.equals(back.relation("TUR", "SYR", freq="day").table)


def test_gdelt_files_parse_on_the_workers_as_the_native_import_does(client, gdelt_files):
    df = ddt.import_gdelt(str(gdelt_files / "*.export.CSV"))
    assert df.npartitions == 3
    events = pa.Table.from_pandas(df.compute(), preserve_index=False)
    m = native(gdelt_files)
    assert sorted(events.column("id").to_pylist()) == sorted(m.events(limit=100).column("id").to_pylist())


def test_a_bad_file_on_a_worker_raises_the_importers_located_error(client, gdelt_files, tmp_path):
    bad = tmp_path / "mentions.CSV"
    bad.write_text("\t".join(["1"] * 16) + "\n")
    with pytest.raises(detente.InvalidInputError) as err:
        ddt.import_gdelt([str(gdelt_files / "20230425.export.CSV"), str(bad)]).compute()
    assert f"{bad}, line 1" in str(err.value) and "mentions file" in str(err.value)


def test_coding_on_the_workers_gives_the_events_coding_here_gives(client):
    docs = pd.DataFrame(SENTENCES, columns=["id", "published", "text"])
    coded = ddt.code_documents(dd.from_pandas(docs, npartitions=2)).compute()
    here = detente.code_batch(pa.Table.from_pandas(docs, preserve_index=False))
    assert len(coded) == here.num_rows > 0
    assert sorted(coded["id"]) == sorted(here.column("id").to_pylist())
    assert sorted(coded["code"]) == sorted(pc.cast(here.column("code"), pa.string()).to_pylist())


def test_a_worker_killed_mid_task_is_replaced_and_the_store_takes_each_event_once(client, tmp_path):
    marker = tmp_path / "killed"
    docs = dd.from_pandas(pd.DataFrame(SENTENCES, columns=["id", "published", "text"]), npartitions=3)

    def die_once(part):
        if not marker.exists():
            marker.write_text("once")
            os._exit(1)  # the worker process dies mid-task; the nanny starts another
        return part

    events = ddt.code_documents(docs.map_partitions(die_once, meta=docs._meta)).compute()
    assert marker.exists(), "no worker was killed"
    table = pa.Table.from_pandas(events, preserve_index=False)
    m = detente.Model()
    first = m.add_events(table)
    assert first["added"] == table.num_rows > 0
    second = m.add_events(pa.Table.from_pandas(ddt.code_documents(docs).compute(), preserve_index=False))
    assert (second["added"], second["unchanged"]) == (0, table.num_rows)
