"""The exception hierarchy of detente.

Every error the model raises is a :class:`DetenteError`. Bad input is also a :class:`ValueError`
(:class:`InvalidInputError`); an unknown actor or document is also a :class:`LookupError`
(:class:`NotFoundError`, and :class:`UnknownActorError` for actors). Errors about input carry
the offending field in ``.field`` (``"date"``, ``"code"``…) when the core knows it, and every
error a stable ``.reason`` (``"INVALID_FIELD"``, ``"UNKNOWN_ACTOR"``, ``"ID_CONFLICT"``,
``"STORE_LOCKED"``…), the same the gRPC service sends in ``google.rpc.ErrorInfo``.
"""

from typing import Optional


class DetenteError(Exception):
    """Base class of every detente error."""

    #: The offending field (``"date"``, ``"code"``, ``"published"``…), when known.
    field: Optional[str] = None
    #: A stable, machine-readable cause (``"INVALID_FIELD"``, ``"UNKNOWN_ACTOR"``…): branch on
    #: this, never on the message.
    reason: Optional[str] = None


class InvalidInputError(DetenteError, ValueError):
    """Input that is malformed or breaks a rule: a bad date, an unknown event code, a bad line."""


class NotFoundError(DetenteError, LookupError):
    """A document, event or actor that neither the dictionary nor the store knows."""


class UnknownActorError(NotFoundError):
    """A name or actor code that neither the dictionary nor the store knows."""


class ConflictError(DetenteError):
    """An event id already stored with different content (pass ``replace=True`` to overwrite)."""


class StoreLockedError(DetenteError):
    """The store is being written by another process, or was opened read-only."""


class UnavailableError(DetenteError):
    """The model cannot serve the request now."""


class CorruptStoreError(DetenteError):
    """The store's files are damaged (a segment whose bytes changed, a lost or damaged catalog).

    The message names the file. Damaged data is never returned: ``detente store check`` lists
    what is wrong and ``detente store repair`` rebuilds the catalog from the segments.
    """


__all__ = [
    "DetenteError",
    "InvalidInputError",
    "NotFoundError",
    "UnknownActorError",
    "ConflictError",
    "StoreLockedError",
    "UnavailableError",
    "CorruptStoreError",
]
