"""Bulk data from Python: importing a GDELT file, exporting events and series that pyarrow,
polars, pandas and DuckDB read, and an export → import round trip."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import detente


def gdelt_row(eid, date, a, b, code, mentions):
    f = [""] * 61
    for i, v in [(0, eid), (1, date), (5, a), (7, a[:3]), (15, b), (17, b[:3]), (26, code), (31, mentions), (53, "SY")]:
        f[i] = v
    return "\t".join(f)


@pytest.fixture
def imported(tmp_path):
    path = tmp_path / "20230510.export.CSV"
    rows = [
        gdelt_row("1", "20230510", "SYRGOV", "TURGOV", "112", "2"),
        gdelt_row("2", "20230510", "SYRGOV", "TURGOV", "112", "5"),
        gdelt_row("3", "20230511", "TURGOV", "SYRGOV", "040", "1"),
        "4\t20230511\tbroken",
    ]
    path.write_text("\n".join(rows) + "\n")
    m = detente.Model()
    report = m.import_file(path, "gdelt2")
    return m, report


def test_import_reports_rows_and_bad_lines(imported):
    m, report = imported
    f = report["files"][0]
    assert (f["rows"], f["added"], f["bad"]) == (4, 3, 1)
    assert report["bad_rows"][0][1] == 4 and "columns" in report["bad_rows"][0][2]
    assert m.events(collapse=True).num_rows == 2
    assert m.relation("TUR", "SYR", freq="day", collapse=True).column("count") == [1, 1]
    with pytest.raises(detente.InvalidInputError):
        m.import_file(report["files"][0]["file"], "acled")


def test_one_parsing_thread_imports_the_same(imported):
    # The option is taken and changes nothing in what is stored (a file this small is one piece,
    # parsed on the calling thread whatever the count; the core's tests cover threads).
    m, report = imported
    one = detente.Model()
    assert one.import_file(report["files"][0]["file"], "gdelt2", threads=1) == report
    assert one.events().to_pylist() == m.events().to_pylist()


def test_exports_read_everywhere_and_round_trip(imported, tmp_path):
    m, _ = imported
    parquet, csv = tmp_path / "e.parquet", tmp_path / "e.csv"
    assert m.export_events(parquet, dyad=("TUR", "SYR")) == 3
    assert m.export_events(csv, origin="gdelt") == 3
    table = pq.read_table(parquet)
    assert table.num_rows == 3 and str(table.schema.field("date").type) == "date32[day]"
    pl = pytest.importorskip("polars")
    assert pl.read_parquet(parquet)["code"].cast(pl.Utf8).to_list() == ["112", "112", "040"]
    assert pl.read_csv(csv, schema_overrides={"code": pl.Utf8})["code"].to_list() == ["112", "112", "040"]
    pd = pytest.importorskip("pandas")
    assert list(pd.read_parquet(parquet)["mentions"]) == [2, 5, 1]
    duckdb = pytest.importorskip("duckdb")
    assert duckdb.sql(f"select sum(mentions) from '{parquet}'").fetchall()[0][0] == 8
    copy = detente.Model()
    assert copy.add_events(table)["added"] == 3
    assert copy.events().to_pylist() == m.events().to_pylist()
    rel = m.relation("TUR", "SYR", freq="day")
    rel.export(tmp_path / "s.parquet")
    assert pq.read_table(tmp_path / "s.parquet").column("count").to_pylist() == [2, 1]


def test_a_partitioned_dataset_comes_back_whole_through_pyarrow(imported, tmp_path):
    import pyarrow.dataset as ds

    m, _ = imported
    assert m.export_events(tmp_path / "events", partition_by="month") == 3
    assert sorted(p.relative_to(tmp_path / "events").as_posix() for p in (tmp_path / "events").rglob("*.parquet")) \
        == ["year=2023/month=5/part-0.parquet"]
    data = ds.dataset(tmp_path / "events", format="parquet", partitioning="hive").to_table()
    assert data.column("month").to_pylist() == [5, 5, 5]
    # The record's columns without the folder's, straight back into a store.
    copy = detente.Model()
    assert copy.add_events(data.drop_columns(["year", "month"]))["added"] == 3
    assert copy.events().to_pylist() == m.events().to_pylist()
    with pytest.raises(detente.InvalidInputError):
        m.export_events(tmp_path / "events", partition_by="month")  # not empty
    with pytest.raises(detente.InvalidInputError):
        m.export_events(tmp_path / "other", partition_by="week")
    assert "`date` DATE NOT NULL" in detente.spark_ddl()


def test_a_parquet_dataset_imports_with_its_report(imported, tmp_path):
    m, _ = imported
    out = tmp_path / "events"
    m.export_events(out, partition_by="month")
    back = detente.Model()
    report = back.import_file(out, "parquet")
    assert [f["added"] for f in report["files"]] == [3] and report["bad_rows"] == []
    assert back.events().column("id").to_pylist() == m.events().column("id").to_pylist()
    # Read on a worker, kept nowhere: the same events and the report.
    table, read = detente._detente.read_files([str(out)], "parquet")
    assert table.column("id").to_pylist() == m.events().column("id").to_pylist()
    assert read["files"][0]["rows"] == 3


def test_tables_whose_buffers_start_at_odd_addresses_are_read_safely():
    # Buffers unpickled from a network frame can start at any byte: offsets of a large string
    # column one byte into their buffer, as Dask hands pandas frames of Arrow columns over.
    ids = [b"d1", b"d2"]
    offsets = pa.array([0, 2, 4], pa.int64()).buffers()[1].to_pybytes()
    data = b"".join(ids)
    raw = pa.py_buffer(b"\0" + offsets + data)
    column = pa.Array.from_buffers(pa.large_string(), 2, [None, raw.slice(1, len(offsets)),
                                                          raw.slice(1 + len(offsets), len(data))])
    assert column.buffers()[1].address % 8 != 0
    docs = pa.table({"id": column, "published": ["2023-05-10", "2023-05-10"],
                     "text": ["Turkey and Syria agreed to restore relations.", "Iran welcomed the talks."]})
    events = detente.code_batch(docs)
    assert set(events.column("doc_id").to_pylist()) <= {"d1", "d2"}
    assert events.num_rows > 0


def test_the_engines_aggregate_columns_are_the_cores():
    from detente import _engines

    assert _engines.AGGREGATE_KEYS + _engines.AGGREGATE_SUMS == detente._detente.table_columns("aggregates")
    assert detente.Aggregates.from_events(detente.Model().events()).to_arrow().column_names == \
        _engines.AGGREGATE_KEYS + _engines.AGGREGATE_SUMS


def test_aggregates_of_parts_answer_as_the_model_of_all_events_does():
    # Two years of monthly TUR–SYR events turning hostile, and RUS–IRN cooperation, in three
    # uneven parts as three workers would see them.
    m = detente.Model()
    rows = []
    for i in range(24):
        day = f"{2022 + i // 12}-{i % 12 + 1:02d}-1{i % 9}"
        code = "057" if i < 12 else "173"
        rows += [{"id": f"t{i}", "date": day, "source": "TURGOV", "target": "SYRGOV", "code": code, "mentions": 3},
                 {"id": f"r{i}", "date": day, "source": "RUSGOV", "target": "IRNGOV", "code": "042"}]
    m.add_events(rows)
    events = m.events(limit=1000)
    parts = [events.slice(0, 5), events.slice(5, 30), events.slice(35)]
    merged = detente.Aggregates.from_events(parts[0]).merge(*(detente.Aggregates.from_events(p) for p in parts[1:]))
    assert merged.events == events.num_rows

    assert merged.relation("TUR", "SYR").table.equals(m.relation("TUR", "SYR").table)
    ours = merged.shifts("TUR", "SYR", penalty=2.0, weighted=True)
    store = m.shifts("TUR", "SYR", penalty=2.0)
    assert ours.num_rows == store.num_rows >= 1
    assert ours.drop_columns(["events"]).equals(store.drop_columns(["events"]))
    net, whole = merged.network(), m.network()
    assert net.edges.equals(whole.edges) and net.nodes.equals(whole.nodes)
    with pytest.raises(detente.InvalidInputError, match="need the events"):
        merged.mediators("TUR", "SYR")
    with pytest.raises(detente.InvalidInputError, match="penalty"):
        merged.shifts("TUR", "SYR", weighted=True)
    unweighted = merged.shifts("TUR", "SYR").drop_columns(["events"])
    assert unweighted.equals(m.shifts("TUR", "SYR", weighted=False).drop_columns(["events"]))
