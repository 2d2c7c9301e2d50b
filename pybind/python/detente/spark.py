"""detente on Apache Spark: the coder, the importers and the aggregates run on the executors,
with detente as the library each Python worker calls, and results in the event record's schema.

    >>> from detente import spark as ds
    >>> events = ds.code_documents(docs_df)                  # coded on the executors
    >>> gdelt = ds.import_gdelt(spark, "/data/gdelt/*.export.CSV.zip")
    >>> sums = ds.aggregate(events.unionByName(gdelt))       # per dyad, day and root
    >>> ds.write_dataset(events, "/data/events")             # year=/month= Parquet
    >>> model.import_file("/data/events", kind="parquet")    # back into a store

Each Python worker builds the coder once (Spark reuses its Python workers across tasks) and
parses a file per task. Files must be readable at the same path on every executor (a shared
filesystem). Event ids are content-derived, so a task the engine retries yields the same ids and
a store that takes its output twice stores each event once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import pyarrow as pa

from detente import _detente
from detente._engines import AGGREGATE_KEYS, AGGREGATE_SUMS, DOCUMENT_COLUMNS, EVENT_COLUMNS, files, log_bad_rows
from detente.model import Aggregates, code_batch, spark_ddl

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["code_documents", "import_gdelt", "aggregate", "read_dataset", "write_dataset", "AGGREGATE_KEYS",
           "AGGREGATE_SUMS"]



def _arrow_schema(spark: "SparkSession", ddl: str) -> pa.Schema:
    """The Arrow schema Spark expects from ``mapInArrow`` for a DDL schema."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(spark.createDataFrame([], ddl).schema)


def _conform(table: pa.Table, target: pa.Schema) -> Iterator[pa.RecordBatch]:
    """A table cast to Spark's Arrow types (unsigned integers widened, dictionaries decoded)."""
    return iter(table.select(target.names).cast(target).to_batches())


def _record_columns(df: "DataFrame") -> "DataFrame":
    """The event record's columns of a DataFrame (a dataset's partition columns left out)."""
    return df.select([c for c in df.columns if c in EVENT_COLUMNS])


def code_documents(df: "DataFrame", actors: Sequence[str] = (), lexicon: Sequence[str] = ()) -> "DataFrame":
    """Code a DataFrame of documents (``text``, ``published`` and optional ``id``, ``title``) on
    the executors; returns a DataFrame of events in the event record's schema. The coder is
    built once per Python worker (with the given dictionary and lexicon files, which every
    executor must be able to read)."""
    missing = [c for c in ("text", "published") if c not in df.columns]
    if missing:
        raise ValueError(f"code_documents: the DataFrame has no {', '.join(missing)} column")
    spark = df.sparkSession
    ddl = spark_ddl()
    target = _arrow_schema(spark, ddl)
    actors, lexicon = [str(a) for a in actors], [str(x) for x in lexicon]

    def code(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield from _conform(code_batch(batch, actors, lexicon), target)

    return df.select([c for c in DOCUMENT_COLUMNS if c in df.columns]).mapInArrow(code, ddl)




def import_gdelt(spark: "SparkSession", paths: Any, kind: str = "gdelt2", *, strict: bool = False,
                 actors: Sequence[str] = ()) -> "DataFrame":
    """Parse GDELT 1.0/2.0, ICEWS, POLECAT (``kind``) or Parquet files on the executors, one file
    per task, with detente's importers; returns a DataFrame of events in the event record's
    schema. ``paths`` is a path, a glob or a list of them (expanded on the driver). A file that
    is not of its kind fails its task with the importer's located error; bad rows are skipped
    (``strict``: one fails the file)."""
    paths = files(paths)
    ddl = spark_ddl()
    target = _arrow_schema(spark, ddl)
    actors = [str(a) for a in actors]

    def parse(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for path in batch.column("path").to_pylist():
                events, report = _detente.read_files([path], kind, strict, actors)
                log_bad_rows(report)
                yield from _conform(events, target)

    listing = spark.sparkContext.parallelize([(f,) for f in paths], max(1, len(paths))).toDF("path STRING")
    return listing.mapInArrow(parse, ddl)


def aggregate(df: "DataFrame") -> "DataFrame":
    """The sums a store keeps per (source country, target country, directed, date, root) —
    event count, Goldstein and Goldstein × mentions in thousandths, mentions — of a DataFrame of
    events (planned events left out; an id met twice counted once, as a store keeps it). Each partition is aggregated by detente on its executor;
    Spark adds the partial sums, which merge exactly (they are integers)."""
    from pyspark.sql import functions as F

    spark = df.sparkSession
    ddl = spark_ddl("aggregates")
    target = _arrow_schema(spark, ddl)

    def partial(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        parts = [Aggregates.from_events(pa.Table.from_batches([b])) for b in batches if b.num_rows]
        if parts:
            yield from _conform(parts[0].merge(*parts[1:]).to_arrow(), target)

    # A store keeps each event once: an event twice in the input (two files, both sides of a
    # union) is counted once, as there.
    sums = _record_columns(df).dropDuplicates(["id"]).mapInArrow(partial, ddl)
    return sums.groupBy(*AGGREGATE_KEYS).agg(*[F.sum(c).alias(c) for c in AGGREGATE_SUMS])


def read_dataset(spark: "SparkSession", path: str) -> "DataFrame":
    """Read a Parquet dataset of events (a ``detente export --partition-by`` folder, or what
    :func:`write_dataset` wrote) with the event record's schema; partition columns are left out."""
    return _record_columns(spark.read.schema(spark_ddl()).parquet(path))


def write_dataset(df: "DataFrame", path: str, partition_by: str = "month", mode: str = "errorifexists") -> None:
    """Write a DataFrame of events as a hive-partitioned Parquet dataset (``year=2023/month=5/``
    or ``year=2023/``) that ``detente import parquet`` and :meth:`detente.Model.import_file` with
    ``kind="parquet"`` read back (the partition folders are checked against each event's date)."""
    from pyspark.sql import functions as F

    keys = {"year": ["year"], "month": ["year", "month"]}.get(partition_by)
    if keys is None:
        raise ValueError(f"partition_by: `{partition_by}` is not one of year, month")
    out = _record_columns(df).withColumn("year", F.year("date"))
    if "month" in keys:
        out = out.withColumn("month", F.month("date"))
    out.sortWithinPartitions("date").write.mode(mode).partitionBy(*keys).parquet(path)
