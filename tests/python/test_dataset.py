"""A partitioned Parquet export read as one dataset by the engines data teams use: pyarrow,
DuckDB and polars, with the partition columns and pruning on them."""

import datetime
import json

import duckdb
import polars as pl
import pyarrow.dataset as ds


def gdelt_row(gid, date, a, b, code):
    """A GDELT 2.0 row of our own: two governments, one code."""
    f = [""] * 61
    for i, v in [(0, gid), (1, date), (5, a), (7, a[:3]), (15, b), (17, b[:3]), (26, code), (31, "1"), (53, "SY")]:
        f[i] = v
    return "\t".join(f)


def test_a_month_partitioned_export_is_one_dataset_to_pyarrow_duckdb_and_polars(run, tmp_path):
    rows = [
        gdelt_row("31", "20230425", "TURGOV", "SYRGOV", "040"),
        gdelt_row("32", "20230510", "TURGOV", "SYRGOV", "043"),
        gdelt_row("33", "20230510", "RUSGOV", "IRNGOV", "042"),
        gdelt_row("34", "20240115", "SYRGOV", "TURGOV", "112"),
    ]
    src = tmp_path / "day.export.CSV"
    src.write_text("\n".join(rows) + "\n")
    run("import", "gdelt2", str(src))
    out = tmp_path / "events"
    files = [json.loads(line) for line in run("export", "events", "--to", str(out), "--partition-by", "month",
                                             "--format", "jsonl").splitlines()]
    assert [f["file"] for f in files] == ["year=2023/month=4/part-0.parquet", "year=2023/month=5/part-0.parquet",
                                          "year=2024/month=1/part-0.parquet"]

    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 4
    assert {"year", "month", "date", "source", "target", "code"} <= set(table.column_names)
    may = ds.dataset(out, format="parquet", partitioning="hive").to_table(filter=(ds.field("month") == 5))
    assert sorted(may.column("source_country").to_pylist()) == ["RUS", "TUR"]

    glob = str(out / "**" / "*.parquet")
    (n,), = duckdb.sql(f"select count(*) from read_parquet('{glob}', hive_partitioning = true) "
                       "where year = 2023 and month = 5").fetchall()
    assert n == 2
    (first,), = duckdb.sql(f"select min(date) from read_parquet('{glob}', hive_partitioning = true)").fetchall()
    assert str(first) == "2023-04-25"

    frame = pl.scan_parquet(glob, hive_partitioning=True).filter(pl.col("year") == 2024).collect()
    assert frame.height == 1 and frame["code"].to_list() == ["112"]

    # Pruning on `date` itself: each file carries the date's min and max, so a reader skips the
    # row groups (here, the files) whose range misses the day asked for.
    on_day = ds.field("date") == datetime.date(2023, 5, 10)
    dataset = ds.dataset(out, format="parquet", partitioning="hive")
    kept = [g for f in dataset.get_fragments() for g in f.split_by_row_group(filter=on_day)]
    assert len(kept) == 1 and "month=5" in kept[0].path
    assert dataset.to_table(filter=on_day).num_rows == 2


def test_the_spark_ddl_names_every_column(run):
    ddl = run("schema", "events", "--spark-ddl").strip()
    columns = [json.loads(line) for line in run("schema", "events", "--format", "jsonl").splitlines()]
    assert all(f"`{c['column']}` {c['spark']}" in ddl for c in columns)
    assert "`location` STRUCT<`name`: STRING, `country`: STRING>" in ddl
