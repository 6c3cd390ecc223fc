"""A string that hides itself from logs, reprs and exception messages."""

from __future__ import annotations


class Secret:
    """Wraps a secret value (a token, a key) so it cannot leak by accident.

    ``str()``, ``repr()`` and formatting all give a mask; only ``reveal()`` gives the
    value, and it should be called at the last moment, where the value leaves the
    process (an HTTP header, a cipher).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("A Secret cannot be pickled; store it through the cipher.")
