"""The exception hierarchy of detente. Every error the model raises is a :class:`DetenteError`;
bad input is also a :class:`ValueError`, an unknown actor or document also a :class:`LookupError`.
"""


class DetenteError(Exception):
    """Base class of every detente error."""


class InvalidInputError(DetenteError, ValueError):
    """Input that is malformed or breaks a rule: a bad date, an unknown event code, a bad line."""


class UnknownActorError(DetenteError, LookupError):
    """A name, actor code or document that neither the dictionary nor the store knows."""


class ConflictError(DetenteError):
    """An event id already stored with different content (pass ``replace=True`` to overwrite)."""


class StoreLockedError(DetenteError):
    """The store is being written by another process, or was opened read-only."""


class UnavailableError(DetenteError):
    """The model cannot serve the request now (for example while shutting down)."""


__all__ = [
    "DetenteError",
    "InvalidInputError",
    "UnknownActorError",
    "ConflictError",
    "StoreLockedError",
    "UnavailableError",
]
