"""``chatprint rotate-key``: tokens re-encrypted under a new key, none lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from bot.secret import Secret
from storage.cipher import TokenCipher
from storage.errors import CipherError
from storage.sqlite import open_store
from tests.core.conftest import SECRET_KEY, follow_link
from tests.fakes.chat import ChatRoom

NEW_KEY = "the-new-secret-key-after-rotation-0123"


async def _link_once(config: Config) -> str:
    room = ChatRoom()
    async with Runtime(config) as rt:
        rt.service.register(room)
        await rt.serve()
        await follow_link(rt, room)
        identity = await rt.store.find_identity("console", "alice")
        assert identity is not None
        [printer] = await rt.store.load_printers(identity.id)
        return printer.tokens.refresh_token.reveal()


async def test_rotate_key_keeps_every_token_under_the_new_key(
    config: Config,
    simulator: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refresh = await _link_once(config)
    database = config.storage.database
    config_file = tmp_path / "rotate.toml"
    config_file.write_text(f'[storage]\ndatabase = "{database}"\n')
    monkeypatch.setenv("CHATPRINT_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("CHATPRINT_NEW_SECRET_KEY", NEW_KEY)

    status = await asyncio.to_thread(main, ["rotate-key", "--config", str(config_file)])

    assert status == 0
    async with await open_store(database, TokenCipher(Secret(NEW_KEY))) as store:
        identity = await store.find_identity("console", "alice")
        assert identity is not None
        [printer] = await store.load_printers(identity.id)
        assert printer.tokens.refresh_token.reveal() == refresh
    with pytest.raises(CipherError):
        await open_store(database, TokenCipher(Secret(SECRET_KEY)))
