"""detente: an open diplomacy model.

Code news text into CAMEO events, import GDELT/ICEWS/POLECAT data, and follow how relations
between states thaw and freeze. The heavy lifting happens in Rust; tables come back as Arrow.
"""

from detente._detente import __version__, resolve
from detente._errors import (
    ConflictError,
    DetenteError,
    InvalidInputError,
    StoreLockedError,
    UnavailableError,
    UnknownActorError,
)

__all__ = [
    "__version__",
    "resolve",
    "DetenteError",
    "InvalidInputError",
    "UnknownActorError",
    "ConflictError",
    "StoreLockedError",
    "UnavailableError",
]
