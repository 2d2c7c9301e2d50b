"""detente on Dask: the coder, the importers and the aggregates run on the workers, with detente
as the library each worker process calls, over ``dask.dataframe``.

    >>> from detente import dask as dd_
    >>> events = dd_.code_documents(docs)                    # a dask DataFrame of documents
    >>> gdelt = dd_.import_gdelt("/data/gdelt/*.export.CSV.zip")
    >>> sums = dd_.aggregate(events).compute()               # per dyad, day and root
    >>> dd_.write_dataset(events, "/data/events")            # year=/month= Parquet
    >>> model.import_file("/data/events", kind="parquet")    # back into a store

Partitions are pandas frames whose columns keep the event record's Arrow types
(``pd.ArrowDtype``: lists and structs intact), so nothing is lost on the way. Each worker process
builds the coder once; a file is parsed per task. Files must be readable at the same path on every
worker. Event ids are content-derived: a task the scheduler reruns after a worker died yields the
same ids, and a store takes each event once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Sequence

import pyarrow as pa

from detente import _detente
from detente._engines import AGGREGATE_KEYS, AGGREGATE_SUMS, DOCUMENT_COLUMNS, EVENT_COLUMNS, files, log_bad_rows
from detente.model import Aggregates, code_batch

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd
    import pandas as pd

__all__ = ["code_documents", "import_gdelt", "aggregate", "read_dataset", "write_dataset", "AGGREGATE_KEYS",
           "AGGREGATE_SUMS"]



def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns (and struct fields) decoded: pandas keeps plain Arrow types best."""

    def plain(t: pa.DataType) -> pa.DataType:
        if pa.types.is_dictionary(t):
            return t.value_type
        if pa.types.is_struct(t):
            return pa.struct([pa.field(f.name, plain(f.type), f.nullable) for f in t])
        if pa.types.is_fixed_size_list(t):
            return pa.list_(t.value_type)
        return t

    return table.cast(pa.schema([pa.field(f.name, plain(f.type), f.nullable) for f in table.schema]))


def _frame(table: pa.Table) -> "pd.DataFrame":
    import pandas as pd

    return _plain(table).to_pandas(types_mapper=pd.ArrowDtype)


def _table(frame: "pd.DataFrame") -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _no_documents() -> pa.Table:
    return pa.table({"text": pa.array([], pa.string()), "published": pa.array([], pa.string())})


def _event_meta() -> "pd.DataFrame":
    """An empty frame of events with every column's type, for Dask's ``meta``."""
    return _frame(code_batch(_no_documents()))


def _aggregate_meta() -> "pd.DataFrame":
    return _frame(Aggregates.from_events(code_batch(_no_documents())).to_arrow())


#: The record's columns an event's sums depend on (its dyad, day, root, Goldstein, mentions).
_AGGREGATED = ["id", "date", "source", "target", "source_country", "target_country", "code", "root_code",
               "directed", "quad_class", "goldstein", "mentions", "planned"]


def _record_columns(frame: Any) -> Any:
    return frame[[c for c in frame.columns if c in EVENT_COLUMNS]]


def code_documents(ddf: "dd.DataFrame", actors: Sequence[str] = (), lexicon: Sequence[str] = ()) -> "dd.DataFrame":
    """Code a dask DataFrame of documents (``text``, ``published`` and optional ``id``,
    ``title``) on the workers; returns a dask DataFrame of events in the event record's columns.
    The coder is built once per worker process (with the given dictionary and lexicon files)."""
    missing = [c for c in ("text", "published") if c not in ddf.columns]
    if missing:
        raise ValueError(f"code_documents: the DataFrame has no {', '.join(missing)} column")
    actors, lexicon = [str(a) for a in actors], [str(x) for x in lexicon]

    def code(part: "pd.DataFrame") -> "pd.DataFrame":
        docs = part[[c for c in DOCUMENT_COLUMNS if c in part.columns]]
        return _frame(code_batch(_table(docs), actors, lexicon))

    return ddf.map_partitions(code, meta=_event_meta())



def _read_one(path: str, kind: str, strict: bool, actors: List[str]) -> "pd.DataFrame":
    events, report = _detente.read_files([path], kind, strict, actors)
    log_bad_rows(report)
    return _frame(events)


def import_gdelt(paths: Any, kind: str = "gdelt2", *, strict: bool = False,
                 actors: Sequence[str] = ()) -> "dd.DataFrame":
    """Parse GDELT 1.0/2.0, ICEWS, POLECAT (``kind``) or Parquet files on the workers, one file
    per partition, with detente's importers; returns a dask DataFrame of events. ``paths`` is a
    path, a glob or a list of them. A file that is not of its kind raises the importer's located
    error; bad rows are skipped (``strict``: one fails the file)."""
    import dask.dataframe as dd

    paths = files(paths)
    return dd.from_map(_read_one, paths, kind=kind, strict=strict, actors=[str(a) for a in actors],
                       meta=_event_meta(), enforce_metadata=False)


def aggregate(ddf: "dd.DataFrame") -> "dd.DataFrame":
    """The sums a store keeps per (source country, target country, directed, date, root) of a
    dask DataFrame of events (planned events left out; an id met twice counted once): each partition aggregated by detente on
    its worker, the partial sums added by Dask (integers: they merge exactly)."""

    def partial(part: "pd.DataFrame") -> "pd.DataFrame":
        return _frame(Aggregates.from_events(_table(part)).to_arrow())

    # A store keeps each event once: an id met twice in the input is counted once, as there.
    # The shuffle that finds them moves only the flat columns the sums are made of (Dask's
    # shuffle cannot carry the record's struct and list columns).
    flat = [c for c in _AGGREGATED if c in ddf.columns]
    sums = ddf[flat].drop_duplicates(subset=["id"]).map_partitions(partial, meta=_aggregate_meta())
    return sums.groupby(AGGREGATE_KEYS, dropna=False, sort=False)[AGGREGATE_SUMS].sum().reset_index()


def read_dataset(path: str) -> "dd.DataFrame":
    """Read a Parquet dataset of events (a ``detente export --partition-by`` folder, or what
    :func:`write_dataset` wrote); partition columns are left out."""
    import dask.dataframe as dd
    import pandas as pd

    # The folders' year= and month= are not read: they would come as categoricals whose
    # categories differ file by file, and the record's date holds them anyway.
    ddf = dd.read_parquet(path, dataset={"partitioning": None}, types_mapper=pd.ArrowDtype)
    return _record_columns(ddf).map_partitions(lambda p: _frame(_table(p)), meta=_event_meta())


def write_dataset(ddf: "dd.DataFrame", path: str, partition_by: str = "month") -> None:
    """Write a dask DataFrame of events as a hive-partitioned Parquet dataset (``year=2023/
    month=5/``) that ``detente import parquet`` reads back (folders checked against each date)."""
    keys = {"year": ["year"], "month": ["year", "month"]}.get(partition_by)
    if keys is None:
        raise ValueError(f"partition_by: `{partition_by}` is not one of year, month")

    def with_keys(part: "pd.DataFrame") -> "pd.DataFrame":
        import pandas as pd

        dates = pd.to_datetime(part["date"].astype("datetime64[ms]"))
        out = part.assign(year=dates.dt.year.astype("int32"))
        return out.assign(month=dates.dt.month.astype("int32")) if "month" in keys else out

    frames = _record_columns(ddf).map_partitions(with_keys)
    frames.to_parquet(path, partition_on=keys, write_index=False, write_metadata_file=False)
