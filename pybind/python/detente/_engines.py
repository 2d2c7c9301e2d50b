"""What detente.spark and detente.dask share: the files a job reads, the aggregate table's columns
and the log of rows skipped on a worker."""

from __future__ import annotations

import glob
import logging
import os
from typing import Any, List

#: The columns an aggregate row is keyed by, and the sums it carries.
AGGREGATE_KEYS = ["source_country", "target_country", "directed", "date", "root"]
AGGREGATE_SUMS = ["count", "goldstein_milli", "mentions", "goldstein_mentions_milli"]

#: The columns of a table of documents, in order.
DOCUMENT_COLUMNS = ("id", "published", "title", "text")

_log = logging.getLogger("detente")


def files(paths: Any) -> List[str]:
    """Files named by a path, a glob (``**`` for any folders) or a list of them, in order, each
    once; expanded where the job is planned."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: List[str] = []
    for p in paths:
        p = os.fspath(p)
        found = sorted(glob.glob(p, recursive=True)) if glob.has_magic(p) else [p]
        if not found:
            raise FileNotFoundError(f"{p}: no file matches")
        out.extend(f for f in found if f not in out)
    return out


def log_bad_rows(report: dict) -> None:
    """Bad rows skipped on a worker, in its log, with file and line."""
    for file, line, message in report["bad_rows"]:
        _log.warning("%s, line %d: %s (skipped)", file, line, message)
