"""What detente.spark and detente.dask share: the files a job reads, the aggregate table's columns
and the log of rows skipped on a worker."""

from __future__ import annotations

import glob
import logging
import os
from typing import Any, List

from detente import _detente

#: The event record's columns, in file order.
EVENT_COLUMNS = _detente.table_columns("events")

#: The columns an aggregate row is keyed by, and the sums it carries.
AGGREGATE_KEYS = ["source_country", "target_country", "directed", "date", "root"]
AGGREGATE_SUMS = ["count", "goldstein_milli", "mentions", "goldstein_mentions_milli"]

#: The columns of a table of documents, in order.
DOCUMENT_COLUMNS = ("id", "published", "title", "text")

_log = logging.getLogger("detente")


def files(paths: Any) -> List[str]:
    """Files named by a path, a glob (``**`` for any folders) or a list of them, in order, each
    once; expanded where the job is planned. As ``detente import`` does, what a glob matches
    below its fixed folders is passed over when a name on the way starts with ``_`` or ``.``
    (an engine's ``_temporary/`` output, ``_SUCCESS``, checksums)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: List[str] = []
    seen = set()
    for p in paths:
        p = os.fspath(p)
        if glob.has_magic(p):
            parts = p.split(os.sep)
            fixed = os.sep.join(parts[:next(i for i, c in enumerate(parts) if glob.has_magic(c))]) or "."
            found = [f for f in sorted(glob.glob(p, recursive=True))
                     if os.path.isfile(f) and not any(c.startswith(("_", ".")) for c in
                                                      os.path.relpath(f, fixed).split(os.sep))]
        else:
            found = [p]
        if not found:
            raise FileNotFoundError(f"{p}: no file matches")
        for f in found:
            if f not in seen:
                seen.add(f)
                out.append(f)
    return out


def log_bad_rows(report: dict) -> None:
    """Bad rows skipped on a worker, in its log, with file and line."""
    for file, line, message in report["bad_rows"]:
        _log.warning("%s, line %d: %s (skipped)", file, line, message)
