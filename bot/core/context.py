"""What every command handler knows about the request it is answering."""

from __future__ import annotations

from dataclasses import dataclass

from bot.catalogue import render
from bot.core.chat import Button, Origin, OutgoingMessage
from storage.records import Identity


@dataclass(frozen=True)
class Request:
    """One command being handled: who asked, where, and in which language."""

    origin: Origin
    identity: Identity
    language: str

    def reply(
        self,
        key: str,
        *,
        private: bool = False,
        buttons: tuple[Button, ...] = (),
        **params: object,
    ) -> OutgoingMessage:
        """A message rendered from the catalogue in this user's language."""
        text = render(key, self.language, **params)
        return OutgoingMessage(text, buttons=buttons, private=private)

    def text(self, key: str, **params: object) -> str:
        """One catalogue sentence in this user's language."""
        return render(key, self.language, **params)
