"""The model and its answers.

Tables come back as :class:`pyarrow.Table` (through the Arrow PyCapsule interface, no row-by-row
copy): ``t.to_pandas()`` gives pandas (actor and code columns as categoricals, dates as
``datetime.date`` objects; ``t.to_pandas(date_as_object=False)`` for ``datetime64``), and
``polars.from_arrow(t)`` gives polars (``Categorical`` codes, ``Date`` dates). Inputs may be a
pyarrow table, a pandas or polars DataFrame, anything with ``__arrow_c_stream__``, or plain dicts.
"""

from __future__ import annotations

import datetime as _dt
import html
import time as _time
import warnings
from typing import Any, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import pyarrow as pa

from detente import _detente
from detente._errors import InvalidInputError, StoreLockedError

DateLike = Union[str, _dt.date, _dt.datetime, None]

_DOC_COLUMNS = ("id", "published", "title", "text")


def _bad(field: str, message: str) -> InvalidInputError:
    err = InvalidInputError(f"field `{field}`: {message}")
    err.field = field
    return err


def _date(value: Any, field: str) -> Optional[str]:
    """A date argument as YYYY-MM-DD (strings are checked by the core)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if callable(getattr(value, "date", None)):  # pandas.Timestamp, numpy datetime wrappers
        return value.date().isoformat()
    raise _bad(field, f"expected a date (YYYY-MM-DD or datetime.date), got {type(value).__name__}")


def _aligned(table: pa.Table) -> pa.Table:
    """The table, copied when one of its buffers is not 8-byte aligned. Buffers unpickled from a
    network frame (Dask ships pandas frames of Arrow columns so) can start at any byte, and the
    Arrow C interface's readers assume each buffer is aligned for its type."""
    for column in table.columns:
        for chunk in column.chunks:
            if any(b is not None and b.address % 8 for b in chunk.buffers()):
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, table.schema) as w:
                    w.write_table(table)
                return pa.ipc.open_stream(sink.getvalue()).read_all()
    return table


def _table(data: Any, what: str) -> pa.Table:
    """Any table-like input as a pyarrow.Table (its buffers aligned)."""
    if isinstance(data, pa.Table):
        return _aligned(data)
    if isinstance(data, pa.RecordBatch):
        return _aligned(pa.Table.from_batches([data]))
    if type(data).__module__.split(".")[0] == "pandas":
        return _aligned(pa.Table.from_pandas(data, preserve_index=False))
    if hasattr(data, "__arrow_c_stream__"):
        return _aligned(pa.table(data))
    if isinstance(data, Mapping):
        return pa.Table.from_pylist([dict(data)])
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)) and all(isinstance(r, Mapping) for r in data):
        return pa.Table.from_pylist([dict(r) for r in data])
    raise _bad(what, f"expected a table (pyarrow, pandas, polars) or dicts, got {type(data).__name__}")


def _documents(documents: Any, published: DateLike, doc_id: Optional[str] = None, title: Optional[str] = None) -> pa.Table:
    """Documents in any accepted form as a table of id, published, title, text."""
    default = _date(published, "published")

    def one(d: Mapping[str, Any]) -> Dict[str, Any]:
        unknown = set(d) - set(_DOC_COLUMNS)
        if unknown:
            raise _bad(sorted(unknown)[0], f"unknown document field (expected {', '.join(_DOC_COLUMNS)})")
        p = _date(d.get("published"), "published") or default
        if p is None:
            raise _bad("published", "a document needs its publication date (pass published=...)")
        return {"id": d.get("id"), "published": p, "title": d.get("title"), "text": d.get("text")}

    if isinstance(documents, str):
        rows = [one({"id": doc_id, "title": title, "text": documents})]
    elif isinstance(documents, Mapping):
        rows = [one(documents)]
    elif isinstance(documents, Sequence) and all(isinstance(d, (str, Mapping)) for d in documents):
        rows = [one({"text": d} if isinstance(d, str) else d) for d in documents]
    else:
        t = _table(documents, "documents")
        if "published" not in t.column_names:
            if default is None:
                raise _bad("published", "the table has no `published` column (or pass published=...)")
            t = t.append_column("published", pa.array([default] * t.num_rows, pa.string()))
        return t
    schema = pa.schema([(c, pa.string()) for c in _DOC_COLUMNS])
    return pa.Table.from_pylist(rows, schema=schema)


def _filters(dyad: Any, actor: Any, directed: bool, exact: bool, code: Any, root: Any, quad: Any, start: DateLike,
             end: DateLike, topic: Any, origin: Any, doc_id: Any) -> Dict[str, Any]:
    """The event filters of :meth:`Model.events` and :meth:`Model.delete_events`, as the binding
    takes them (unset ones falsy)."""
    if dyad is not None and (isinstance(dyad, str) or len(dyad) != 2):
        raise _bad("dyad", "a dyad is two actors, e.g. ('TUR', 'SYR')")
    return dict(dyad=tuple(dyad) if dyad else None, actor=actor, directed=directed, exact=exact,
                codes=_list(code), roots=_list(root), quads=[int(q) for q in _list(quad)],
                start=_date(start, "start"), end=_date(end, "end"), topic=topic, origin=origin, doc_id=doc_id)


def _list(value: Any) -> List[str]:
    """One value or several as a list of strings."""
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value]


def _paths(value: Any) -> List[str]:
    return [str(p) for p in _list(value)]


class Change(NamedTuple):
    """One write's changes to the events a watch follows: its ``revision``, the events it
    ``added`` and those it ``removed`` (pyarrow tables in the event record's schema)."""

    revision: int
    added: pa.Table
    removed: pa.Table


class Relation:
    """A relation series: one row per period (``period``, ``count``, ``quad1``…``quad4``,
    ``goldstein_sum``, ``goldstein_mean``, ``cooperation_share``, ``mentions``, ``score``…).

    ``.table`` is the pyarrow table; ``to_pandas()``/``to_polars()`` convert it; pandas, polars
    and pyarrow also accept the object itself (Arrow PyCapsule interface).
    """

    def __init__(self, table: pa.Table, a: str, b: str, freq: str, options: Optional[Dict[str, Any]] = None):
        self.table = table
        self.a, self.b, self.freq = a, b, freq
        self.options = dict(options or {})

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.table.__arrow_c_stream__(requested_schema)

    def __len__(self) -> int:
        return self.table.num_rows

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Relation)
            and (self.a, self.b, self.freq) == (other.a, other.b, other.freq)
            and self.table.equals(other.table)
        )

    def column(self, name: str) -> List[Any]:
        """One column as a Python list."""
        return self.table.column(name).to_pylist()

    def to_pandas(self, **kwargs: Any) -> Any:
        """The series as a pandas DataFrame (needs pandas)."""
        return self.table.to_pandas(**kwargs)

    def to_polars(self) -> Any:
        """The series as a polars DataFrame (needs polars)."""
        import polars as pl

        return pl.from_arrow(self.table)

    def summary(self) -> Dict[str, Any]:
        """Periods, events, mean Goldstein, cooperation share, the last score and the periods of
        the best and worst Goldstein sums."""
        counts, gsum, score = self.column("count"), self.column("goldstein_sum"), self.column("score")
        periods = self.column("period")
        events = sum(counts)
        active = [i for i, c in enumerate(counts) if c]
        coop = sum(self.column("quad1")) + sum(self.column("quad2"))
        return {
            "dyad": f"{self.a}–{self.b}",
            "freq": self.freq,
            "periods": len(periods),
            "first": periods[0] if periods else None,
            "last": periods[-1] if periods else None,
            "events": events,
            "goldstein_mean": (sum(gsum) / events) if events else 0.0,
            "cooperation_share": (coop / events) if events else 0.0,
            "last_score": score[-1] if score else 0.0,
            "warmest": periods[max(active, key=lambda i: gsum[i])] if active else None,
            "coldest": periods[min(active, key=lambda i: gsum[i])] if active else None,
        }

    def __repr__(self) -> str:
        s = self.summary()
        if not s["periods"]:
            return f"<Relation {s['dyad']}: no events>"
        return (
            f"<Relation {s['dyad']} by {s['freq']}, {s['first']} … {s['last']}: {s['events']} events in "
            f"{s['periods']} periods, mean Goldstein {s['goldstein_mean']:+.2f}, "
            f"{100 * s['cooperation_share']:.0f}% cooperative, score now {s['last_score']:+.2f}>"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>"
            for k, v in s.items()
        )
        tail = self.table.slice(max(0, self.table.num_rows - 6))
        cols = ["period", "count", "goldstein_sum", "cooperation_share", "score"]
        head = "".join(f"<th>{c}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in cols) + "</tr>" for r in tail.to_pylist()
        )
        return (
            f"<div><b>Relation {html.escape(s['dyad'])}</b><table>{rows}</table>"
            f"<p>Last periods</p><table><tr>{head}</tr>{body}</table></div>"
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        return (Relation, (self.table, self.a, self.b, self.freq, self.options))

    def export(self, path: Any) -> None:
        """Write the series to ``path``: ``.parquet`` or ``.csv``."""
        _detente.export_table(self.table, str(path))


def _fmt(v: Any) -> str:
    return f"{v:+.3f}" if isinstance(v, float) else str(v)


class Network:
    """The network of relations over a window: ``nodes`` (actor, bloc, degree, events, strength,
    centrality, betweenness, constraint) and ``edges`` (a, b, events, goldstein_sum, weight, sign)
    as pyarrow tables, with the blocs' signed ``modularity``, the number of closed ``triads`` and
    the ``balanced_share`` of them."""

    def __init__(self, nodes: pa.Table, edges: pa.Table, modularity: float, triads: int, balanced_share: float):
        self.nodes, self.edges = nodes, edges
        self.modularity, self.triads, self.balanced_share = modularity, triads, balanced_share

    def blocs(self) -> List[List[str]]:
        """The blocs, largest first, each a list of actors."""
        out: Dict[int, List[str]] = {}
        for n in self.nodes.to_pylist():
            out.setdefault(n["bloc"], []).append(n["actor"])
        return [out[k] for k in sorted(out)]

    def __repr__(self) -> str:
        return (
            f"<Network {self.nodes.num_rows} actors, {self.edges.num_rows} edges, {len(self.blocs())} blocs "
            f"(modularity {self.modularity:.3f}), {self.triads} closed triads, {100 * self.balanced_share:.0f}% balanced>"
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        return (Network, (self.nodes, self.edges, self.modularity, self.triads, self.balanced_share))


class Aggregates:
    """Relation aggregates built from events anywhere — on the workers of a Spark or Dask job —
    merged into the same sums a store would hold, and asked for series, shifts and the network,
    which come out as a :class:`Model` of the same events gives them (shifts without their
    explaining events). Mediators need the events and are refused. Pickles as its Arrow table.

    >>> parts = [Aggregates.from_events(t) for t in event_tables]   # on workers
    >>> whole = parts[0].merge(*parts[1:])                            # on the driver
    >>> whole.relation("TUR", "SYR", freq="month")
    """

    def __init__(self, inner: Any):
        self._inner = inner

    @staticmethod
    def from_events(events: Any) -> "Aggregates":
        """The aggregates of a table of events (columns named as the canonical record)."""
        return Aggregates(_detente.AggregateSet.from_events(_table(events, "events")))

    @staticmethod
    def from_arrow(table: Any) -> "Aggregates":
        """Aggregates from their own table (see :meth:`to_arrow`)."""
        return Aggregates(_detente.AggregateSet.from_arrow(_table(table, "aggregates")))

    def merge(self, *others: "Aggregates") -> "Aggregates":
        """A new set: these sums plus the others'."""
        return Aggregates(self._inner.merge([o._inner for o in others]))

    def to_arrow(self) -> pa.Table:
        """One row per (source country, target country, directed, date, root) with the sums."""
        return self._inner.to_arrow()

    @property
    def events(self) -> int:
        """Events counted in."""
        return self._inner.events

    def relation(self, a: str, b: str, freq: str = "month", start: DateLike = None, end: DateLike = None, *,
                 directed: bool = False, drop_low_info: bool = False, half_life_days: Optional[float] = None,
                 weight_mentions: bool = False, normalize: bool = False) -> Relation:
        """The relation series of two country codes, as :meth:`Model.relation` computes it."""
        table, la, lb = self._inner.relation(a, b, freq, _date(start, "start"), _date(end, "end"), directed,
                                             drop_low_info, half_life_days, weight_mentions, normalize)
        return Relation(table, la, lb, freq)

    def shifts(self, a: str, b: str, freq: str = "month", start: DateLike = None, end: DateLike = None, *,
               directed: bool = False, drop_low_info: bool = False, penalty: Optional[float] = None,
               min_size: Optional[int] = None, weighted: bool = False) -> pa.Table:
        """The thaws and freezes of two country codes' relation, as :meth:`Model.shifts` finds
        them with the same options, without the events that explain them (``events`` is empty:
        those need the events). Unweighted by default here: a weighted search (the Model's
        default) needs a ``penalty``, as its default penalty is made of single events' Goldstein
        values, which sums do not keep."""
        return self._inner.shifts(a, b, freq, _date(start, "start"), _date(end, "end"), directed, drop_low_info,
                                  penalty, min_size, weighted)

    def network(self, start: DateLike = None, end: DateLike = None, min_events: int = 1) -> Network:
        """The signed network over a window, as :meth:`Model.network` gives it for the same
        events (its edges are made of the sums alone)."""
        nodes, edges, modularity, triads, balanced = self._inner.network(_date(start, "start"), _date(end, "end"),
                                                                         min_events)
        return Network(nodes, edges, modularity, triads, balanced)

    def mediators(self, *args: Any, **kwargs: Any) -> pa.Table:
        """Refused: a mediator's score rests on exact codes, shared meetings, places and event
        ids, which aggregates do not keep. Raises :class:`InvalidInputError`; ask a
        :class:`Model` of the events."""
        self._inner.mediators()
        raise AssertionError("unreachable: mediators from aggregates are refused")

    def __repr__(self) -> str:
        return f"<Aggregates of {self.events} events in {self._inner.cells} cells>"

    def __reduce__(self) -> Tuple[Any, ...]:
        return (Aggregates.from_arrow, (self.to_arrow(),))


def spark_ddl(table: str = "events") -> str:
    """A table's columns as a Spark DDL string: the event record (``"events"``), for
    ``spark.read.schema(...)`` on files detente exported, or an aggregate set
    (``"aggregates"``). Unsigned integers are read as the next wider signed type."""
    return _detente.spark_ddl(table)


def code_batch(documents: Any, actors: Iterable[str] = (), lexicon: Iterable[str] = ()) -> pa.Table:
    """Code a table of documents (``text``, ``published`` and optional ``id``, ``title``) into a
    table of events. A pure function of its input and the dictionary and lexicon files: use it in
    Spark's ``mapInArrow`` or Dask's ``map_partitions`` (each worker builds the coder once)."""
    return _detente.code_batch(_documents(documents, None), _paths(actors), _paths(lexicon))


def _reopen(path: str, actors: List[str], lexicon: List[str], read_only: bool) -> "Model":
    try:
        return Model(path, actors=actors, lexicon=lexicon, read_only=read_only)
    except StoreLockedError:
        # The pickling process still writes the store: this copy reads it.
        warnings.warn(f"{path} is being written by another process: opened read-only", stacklevel=2)
        return Model(path, actors=actors, lexicon=lexicon, read_only=True)


class Model:
    """The diplomacy model: an event store with the actor dictionary and the coder.

    ``Model()`` lives in memory; ``Model("path/to/store")`` opens (or creates) a store directory,
    which one process writes at a time while any number read (``read_only=True``). ``actors`` and
    ``lexicon`` add dictionary and lexicon files to the built-in ones. One Model can be shared by
    threads; heavy calls release the GIL. A Model with a store pickles by its path (a worker that
    unpickles it while this process holds the store opens it read-only).
    """

    def __init__(self, path: Any = None, *, actors: Iterable[str] = (), lexicon: Iterable[str] = (),
                 read_only: bool = False):
        self._actors, self._lexicon = _paths(actors), _paths(lexicon)
        self._inner = _detente.Model(None if path is None else str(path), self._actors, self._lexicon, read_only)

    @property
    def path(self) -> Optional[str]:
        """The store directory, or None in memory."""
        return self._inner.path

    @property
    def read_only(self) -> bool:
        """True when this model only reads its store."""
        return self._inner.read_only

    def __len__(self) -> int:
        return len(self._inner)

    def __repr__(self) -> str:
        where = f"store {self.path!r}" if self.path else "in memory"
        return f"<detente.Model {where}{', read-only' if self.read_only else ''}: {len(self)} events>"

    def __reduce__(self) -> Tuple[Any, ...]:
        if self.path is None:
            raise TypeError(
                "an in-memory detente.Model cannot be pickled: its events live only in this process. "
                "Open a store directory (detente.Model('path')) to share it with workers."
            )
        return (_reopen, (self.path, self._actors, self._lexicon, self.read_only))

    # Coding and storing.

    def code(self, text: Any, published: DateLike = None, doc_id: Optional[str] = None,
             title: Optional[str] = None) -> pa.Table:
        """Code text into events without storing anything.

        ``text`` is a string (with ``published``, and optionally ``doc_id`` and ``title``), a dict
        ``{id, published, title, text}``, a list of either, or a table of documents. Returns the
        events as a pyarrow.Table in the canonical record (each with its sentence, span and rule).
        """
        return self._inner.code(_documents(text, published, doc_id, title))

    def ingest(self, documents: Any, published: DateLike = None, doc_id: Optional[str] = None,
               title: Optional[str] = None, *, recode: bool = False, batch_size: int = 500,
               progress: Optional[bool] = None) -> Dict[str, Any]:
        """Code and store documents with their events. ``documents`` is what :meth:`code` takes:
        a string (with ``published``, and optionally ``doc_id`` and ``title``; without ``doc_id``
        the id derives from the text), a dict, a list of either, or a table. Each batch of
        ``batch_size`` documents is one atomic write; a document already stored with the same
        text changes nothing, with other text it is a :class:`ConflictError` unless
        ``recode=True``. Re-coding removes and adds only the events that changed; a document whose
        text and events are as stored counts as unchanged. Shows a tqdm progress bar for large
        inputs when tqdm is installed (``progress=False`` to hide it). Returns the counts and each
        document's outcome ``(id, "new" | "unchanged" | "recoded", events)``."""
        table = _documents(documents, published, doc_id, title)
        n = table.num_rows
        show = progress if progress is not None else n > 4 * batch_size
        bar = None
        if show:
            try:
                from tqdm.auto import tqdm

                bar = tqdm(total=n, unit="doc", desc="ingest")
            except ImportError:
                bar = None
        total: Dict[str, Any] = {"new_documents": 0, "unchanged_documents": 0, "recoded_documents": 0,
                                 "events_added": 0, "events_removed": 0, "documents": []}
        try:
            for offset in range(0, max(n, 1), max(batch_size, 1)):
                part = self._inner.ingest(table.slice(offset, batch_size), recode)
                for k, v in part.items():
                    total[k] = total[k] + v
                if bar is not None:
                    bar.update(min(batch_size, n - offset))
        finally:
            if bar is not None:
                bar.close()
        return total

    def add_events(self, events: Any, *, replace: bool = False) -> Dict[str, Any]:
        """Store events — a table (pyarrow, pandas, polars) or dicts with the canonical record's
        field names — as one atomic batch. A bad row raises :class:`InvalidInputError` naming its
        row and column, and nothing is stored."""
        return self._inner.add_events(_table(events, "events"), replace)

    # Reading.

    def events_by_id(self, ids: Sequence[str]) -> pa.Table:
        """Stored events by id, in the order asked; an id no stored event has raises
        :class:`NotFoundError` (reason ``EVENT_NOT_FOUND``) naming it."""
        return self._inner.events_by_id(_list(ids))

    def delete_events(self, ids: Any = None, *, dyad: Optional[Sequence[str]] = None, actor: Optional[str] = None,
                      directed: bool = False, exact: bool = False, code: Any = None, root: Any = None,
                      quad: Any = None, start: DateLike = None, end: DateLike = None, topic: Optional[str] = None,
                      origin: Optional[str] = None, doc_id: Optional[str] = None, confirm: bool = False) -> int:
        """Delete stored events by ``ids`` (all or none: an unknown id deletes nothing), or every
        event matching the filters of :meth:`events` when ``confirm=True``; returns how many were
        deleted. The relations answer without them at once."""
        args = _filters(dyad, actor, directed, exact, code, root, quad, start, end, topic, origin, doc_id)
        return self._inner.delete_events(_list(ids), args, confirm)

    def events(self, dyad: Optional[Sequence[str]] = None, actor: Optional[str] = None, *, directed: bool = False,
               exact: bool = False, code: Any = None, root: Any = None, quad: Any = None, start: DateLike = None,
               end: DateLike = None, topic: Optional[str] = None, origin: Optional[str] = None, ids: Any = None,
               doc_id: Optional[str] = None, limit: Optional[int] = None, collapse: bool = False,
               order_by: str = "date") -> pa.Table:
        """Stored events matching the filters of ``detente events list``, in date order: ``dyad``
        (two actors, codes or names; either direction unless ``directed``; countries unless
        ``exact``), ``actor``, ``code`` (with children), ``root``, ``quad``, ``start``/``end``,
        ``topic``, ``origin``, ``ids``, ``doc_id``. All of them unless ``limit``. ``collapse`` shows
        repeated reports (same source, target, code and day) once, with their mentions summed.
        ``order_by="date desc"`` lists the newest first."""
        args = _filters(dyad, actor, directed, exact, code, root, quad, start, end, topic, origin, doc_id)
        args["ids"] = _list(ids)
        tables, cursor, left = [], None, limit
        while True:
            page = 10_000 if left is None else min(left, 10_000)
            t, cursor = self._inner.events(args, limit=max(page, 1), cursor=cursor, collapse=collapse,
                                           order_by=order_by)
            tables.append(t)
            if left is not None:
                left -= t.num_rows
            if cursor is None or (left is not None and left <= 0):
                break
        return pa.concat_tables(tables) if len(tables) > 1 else tables[0]

    def relation(self, a: str, b: str, freq: str = "month", start: DateLike = None, end: DateLike = None, *,
                 directed: bool = False, exact: bool = False, drop_low_info: bool = False,
                 half_life_days: Optional[float] = None, weight_mentions: bool = False, normalize: bool = False,
                 collapse: bool = False) -> Relation:
        """The relation series of two actors (codes or names), as ``detente relation``: per period
        (``freq``: day, week, month, quarter, year) the event count, counts per QuadClass, the
        Goldstein sum and mean, the cooperation share and a smoothed score (exponentially decayed
        mean Goldstein with ``half_life_days``). Empty periods are zeros. ``directed`` counts only
        a→b (symmetric events too); ``exact`` uses the exact codes; ``drop_low_info`` leaves out
        statements and appeals; ``normalize`` adds volume and intensity (per 100 events of the two
        actors); ``collapse`` counts repeated reports (same dyad, code and day) once. Unknown actors
        raise :class:`UnknownActorError`."""
        table, la, lb = self._inner.relation(a, b, freq, _date(start, "start"), _date(end, "end"), directed, exact,
                                             drop_low_info, half_life_days, weight_mentions, normalize, collapse)
        if half_life_days is None:
            half_life_days = _detente.DEFAULT_HALF_LIFE_DAYS
        opts = dict(start=start, end=end, directed=directed, exact=exact, drop_low_info=drop_low_info,
                    half_life_days=half_life_days)
        return Relation(table, la, lb, freq, opts)

    def relation_events(self, a: str, b: str, period: DateLike, freq: str = "month", *, directed: bool = False,
                        exact: bool = False, drop_low_info: bool = False) -> pa.Table:
        """The events behind the period of a series that holds the day ``period``."""
        return self._inner.relation_events(a, b, _date(period, "period"), freq, directed, exact, drop_low_info)

    def shifts(self, a: str, b: str, freq: str = "month", start: DateLike = None, end: DateLike = None, *,
               directed: bool = False, exact: bool = False, drop_low_info: bool = False,
               penalty: Optional[float] = None, min_size: Optional[int] = None, weighted: bool = True,
               top_events: Optional[int] = None) -> pa.Table:
        """Thaws and freezes of a relation (PELT change points on the period means; default
        penalty 3·σ²·ln n): ``period``, ``direction``, ``magnitude``, ``before``, ``after`` and the
        explaining ``events`` (list of structs, strongest |Goldstein|×mentions first)."""
        return self._inner.shifts(a, b, freq, _date(start, "start"), _date(end, "end"), directed, exact,
                                  drop_low_info, penalty, min_size, weighted, top_events)

    def mediators(self, a: str, b: str, start: DateLike = None, end: DateLike = None,
                  limit: Optional[int] = None) -> pa.Table:
        """Third parties brokering between ``a`` and ``b``, strongest evidence first: mediation
        events, offers, meetings hosted with both sides, appeals to both, cooperation with both;
        the ``score`` and the ``events`` behind it."""
        return self._inner.mediators(a, b, _date(start, "start"), _date(end, "end"), limit)

    def network(self, start: DateLike = None, end: DateLike = None, min_events: int = 1) -> Network:
        """The signed network of relations over a window, with blocs (signed Louvain),
        centrality, brokerage and structural balance."""
        nodes, edges, modularity, triads, balanced = self._inner.network(_date(start, "start"), _date(end, "end"),
                                                                         min_events)
        return Network(nodes, edges, modularity, triads, balanced)

    # Bulk data.

    def import_file(self, path: Any, kind: str, *, strict: bool = False, force: bool = False,
                    threads: Optional[int] = None, replace: bool = False) -> Dict[str, Any]:
        """Import a GDELT 1.0/2.0 (``kind="gdelt1"``/``"gdelt2"``), ICEWS or POLECAT file — plain,
        gzip or zip — or a list of them; or, with ``kind="parquet"``, Parquet files of events: a
        file, a hive-partitioned dataset folder (as :meth:`export_events` with ``partition_by`` or
        Spark wrote it; ``key=value`` folders fill missing columns, ``year``/``month``/``day``
        ones are checked against each date) or a glob. Bad rows are skipped and reported (``bad_rows``: file, line,
        message); ``strict`` rejects a whole file with any bad row. A row whose id is stored with
        other content is a bad row unless ``replace``. A file imported before is skipped unless
        ``force``. ``threads`` parse a large file (default: one per core)."""
        paths = [str(p) for p in path] if isinstance(path, (list, tuple)) else [str(path)]
        return self._inner.import_files(paths, kind, strict, force, threads, replace)

    def export_events(self, path: Any, dyad: Optional[Sequence[str]] = None, actor: Optional[str] = None, *,
                      directed: bool = False, exact: bool = False, code: Any = None, root: Any = None,
                      quad: Any = None, start: DateLike = None, end: DateLike = None, topic: Optional[str] = None,
                      origin: Optional[str] = None, ids: Any = None, doc_id: Optional[str] = None,
                      partition_by: Optional[str] = None) -> int:
        """Write the events matching the filters (as :meth:`events`) to ``path``: ``.parquet``
        (the record's Arrow types) or ``.csv`` (flattened). With ``partition_by`` (``"year"`` or
        ``"month"``), ``path`` is a new or empty folder that receives a hive-partitioned Parquet
        dataset (``year=2023/month=5/part-0.parquet``), which Spark, Dask, DuckDB, polars and
        ``pyarrow.dataset`` read as one. Returns how many events were written."""
        args = _filters(dyad, actor, directed, exact, code, root, quad, start, end, topic, origin, doc_id)
        args["ids"] = _list(ids)
        if partition_by is not None:
            return self._inner.export_dataset(str(path), partition_by, args)
        return self._inner.export_events(str(path), args)

    # The dictionary and documents.

    def resolve(self, name: str, date: DateLike = None) -> Dict[str, Any]:
        """Resolve a name or code to the actor code that held on ``date``: code, country, kind,
        canonical name, office (for persons), validity window and the entry's origin."""
        return self._inner.resolve(name, _date(date, "date"))

    def actors(self, kind: Optional[str] = None, code: Optional[str] = None) -> pa.Table:
        """Dictionary entries (built-in, files, store), optionally of one ``kind`` or code prefix."""
        return self._inner.actors(kind, code)

    def add_actor(self, code: str, kind: str, names: Union[str, Sequence[str]], *, start: DateLike = None,
                  until: DateLike = None, office: Optional[str] = None) -> int:
        """Add a dictionary entry, kept in the store (it wins over files and built-in entries);
        returns its id (the same entry added again keeps its id), stable across restarts."""
        return self._inner.add_actor(code, kind, _list(names), _date(start, "from"), _date(until, "until"), office)

    def update_actor(self, id: int, code: str, kind: str, names: Union[str, Sequence[str]], *,
                     start: DateLike = None, until: DateLike = None, office: Optional[str] = None) -> None:
        """Replace the entry a user added under ``id`` (:class:`NotFoundError` if there is none)."""
        self._inner.update_actor(id, code, kind, _list(names), _date(start, "from"), _date(until, "until"), office)

    def delete_actor(self, id: int) -> str:
        """Delete the entry a user added under ``id``; returns its code."""
        return self._inner.delete_actor(id)

    def documents(self, start: DateLike = None, end: DateLike = None, *, id_prefix: Optional[str] = None,
                  text: bool = False) -> pa.Table:
        """Stored documents by publication date, then id: ``id``, ``published``, ``title``, the
        number of ``events`` coded from each, when each was ``added`` (Unix seconds), and the
        ``text`` if asked for. ``id_prefix`` picks a site or wire (``https://www.reuters.com/``)."""
        rows, cursor = [], None
        while True:
            page, cursor = self._inner.documents(_date(start, "start"), _date(end, "end"), id_prefix, text,
                                                 1000, cursor)
            rows += page
            if cursor is None:
                break
        names = ["id", "published", "title"] + (["text"] if text else []) + ["events", "added"]
        return pa.Table.from_pylist(rows) if rows else pa.table({n: [] for n in names})

    def delete_document(self, doc_id: str) -> int:
        """Delete a stored document and the events coded from it, in one write; returns how many
        events went with it."""
        return self._inner.delete_document(doc_id)

    @property
    def revision(self) -> int:
        """The store's revision (a count of its writes): a gRPC ``WatchEvents`` from it sees every
        later change."""
        return self._inner.revision

    def changes(self, since: int, dyad: Optional[Sequence[str]] = None, actor: Optional[str] = None, *,
                directed: bool = False, exact: bool = False, code: Any = None, root: Any = None, quad: Any = None,
                start: DateLike = None, end: DateLike = None, topic: Optional[str] = None,
                origin: Optional[str] = None, doc_id: Optional[str] = None) -> Tuple[List[Change], int]:
        """The writes after revision ``since`` that changed events matching the filters of
        :meth:`events`, oldest first, and the revision they reach (resume from it). Each
        :class:`Change` holds the events the write ``added`` and those it ``removed`` (a
        re-code, a replacement, a delete), as they were. Changes are kept in memory by the
        process that made them: a revision from before this model opened the store raises
        :class:`InvalidInputError` with reason ``REVISION_TOO_OLD`` (list again instead)."""
        args = _filters(dyad, actor, directed, exact, code, root, quad, start, end, topic, origin, doc_id)
        rows, now = self._inner.changes_since(int(since), args)
        return [Change(revision, added, removed) for revision, added, removed in rows], now

    def watch(self, since: Optional[int] = None, dyad: Optional[Sequence[str]] = None,
              actor: Optional[str] = None, *, timeout: Optional[float] = None, **filters: Any) -> Iterator[Change]:
        """Follow the store: yields each later write's :class:`Change` (as :meth:`changes`,
        with the same filters) as it commits, from revision ``since`` (default: now), missing
        none and repeating none. Stops once ``timeout`` seconds pass with no matching change
        (default: never). The last change's ``revision`` is where to resume."""
        revision = self.revision if since is None else int(since)
        idle_until = None if timeout is None else _time.monotonic() + timeout
        while True:
            changes, now = self.changes(revision, dyad, actor, **filters)
            for change in changes:
                yield change
            if changes and timeout is not None:
                idle_until = _time.monotonic() + timeout
            revision = now
            left = None if idle_until is None else idle_until - _time.monotonic()
            if left is not None and left <= 0:
                return
            # Waits in short slices so Ctrl-C gets through between them.
            self._inner.wait_for_change(revision, 0.5 if left is None else min(left, 0.5))

    def document(self, doc_id: str) -> Tuple[Dict[str, Any], pa.Table]:
        """A stored document and its events."""
        return self._inner.document(doc_id)


def resolve(name: str, date: DateLike = None) -> Dict[str, Any]:
    """Resolve a name or code with the built-in dictionary (see :meth:`Model.resolve`)."""
    return _detente.resolve(name, _date(date, "date"))


def parse(text: str) -> pa.Table:
    """Tag, lemmatize and parse English text: one row per word, with its Universal Dependencies
    tree (``head`` is the ``id`` of the head word in the same ``sentence``; 0 for the root).

    The model is detente's own, trained on the UD English Web Treebank (CC BY-SA 4.0); it is
    loaded on the first call.

    >>> t = parse("Ankara said it would lift restrictions.")   # doctest: +SKIP
    >>> t.select(["id", "form", "upos", "head", "deprel"]).to_pylist()[:2]   # doctest: +SKIP
    [{'id': 1, 'form': 'Ankara', 'upos': 'PROPN', 'head': 2, 'deprel': 'nsubj'}, ...]
    """
    return _detente.parse(text)


def _with_columns(kind: str, *functions: Any) -> None:
    """Appends the meaning of each output column (from the core) to the docstrings."""
    from detente._detente import columns

    width = max(len(name) for name, _ in columns(kind))
    text = "\n\n        Columns:\n\n" + "\n".join(
        f"        - ``{name}``{' ' * (width - len(name))}  {what}" for name, what in columns(kind)
    )
    for f in functions:
        f.__doc__ = (f.__doc__ or "").rstrip() + text


_with_columns("series", Model.relation)
_with_columns("shifts", Model.shifts)
_with_columns("mediators", Model.mediators)
_with_columns("nodes", Model.network, Network)
_with_columns("edges", Network)
_with_columns("parse", parse)
