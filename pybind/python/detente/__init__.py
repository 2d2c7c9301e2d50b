"""detente: an open diplomacy model.

Code news text into CAMEO events, store them, and follow how relations between states thaw and
freeze, who mediates, and how the network of relations falls into blocs. The work happens in
Rust; tables come back as pyarrow Tables (``.to_pandas()``, ``polars.from_arrow(t)``).

>>> import detente
>>> m = detente.Model()                                   # in memory; Model("dir") for a store
>>> m.ingest("Turkey and Syria held talks in Moscow on Wednesday.", published="2023-05-11")
>>> m.relation("Turkey", "Syria", freq="month")

Negotiation models (where talks are likely to land) are in ``detente.negotiation``.
"""

from detente._detente import __version__
from detente._errors import (
    ConflictError,
    CorruptStoreError,
    DetenteError,
    InvalidInputError,
    NotFoundError,
    StoreLockedError,
    UnavailableError,
    UnknownActorError,
)
from detente import negotiation
from detente.model import Aggregates, Change, Model, Network, Relation, code_batch, parse, resolve, spark_ddl

__all__ = [
    "__version__",
    "Model",
    "Change",
    "Relation",
    "Network",
    "Aggregates",
    "code_batch",
    "resolve",
    "parse",
    "spark_ddl",
    "negotiation",
    "DetenteError",
    "InvalidInputError",
    "NotFoundError",
    "UnknownActorError",
    "ConflictError",
    "StoreLockedError",
    "UnavailableError",
    "CorruptStoreError",
]
