"""The simulator's scan destinations: register, list, update, delete, limits."""

from __future__ import annotations

import pytest

from tests.epson.test_simulator_support import MONO_PRINTER, PHOTO_PRINTER, running

DESTINATIONS = "/scanning/destinations"
MAIL = {"aliasName": "Office", "destinationService": "mail", "destination": "a@b.jp"}


async def test_destination_is_registered_listed_updated_and_deleted() -> None:
    async with running() as (_, api):
        status, created = await api.call("POST", DESTINATIONS, MAIL)
        path = f"{DESTINATIONS}/{created['destinationId']}"
        update = {"aliasName": "Home", "destination": "c@d.jp"}
        updated, _ = await api.call("PUT", path, update)
        _, listing = await api.call("GET", DESTINATIONS)
        deleted, _ = await api.call("DELETE", path)
        _, after = await api.call("GET", DESTINATIONS)

    assert status == 201
    assert updated == 204
    assert listing == {
        "destinations": [
            {
                "destinationId": created["destinationId"],
                "aliasName": "Home",
                "destinationService": "mail",
                "destination": "c@d.jp",
            }
        ]
    }
    assert deleted == 204
    assert after == {"destinations": []}


async def test_duplicate_alias_is_refused() -> None:
    async with running() as (_, api):
        await api.call("POST", DESTINATIONS, MAIL)
        result = await api.call("POST", DESTINATIONS, {**MAIL, "destination": "x@y.jp"})

    assert result == (400, {"error": "duplicate_alias_name"})


async def test_destination_limit_is_enforced() -> None:
    async with running(destination_limit=1) as (_, api):
        await api.call("POST", DESTINATIONS, MAIL)
        result = await api.call("POST", DESTINATIONS, {**MAIL, "aliasName": "Two"})

    assert result == (403, {"error": "destination_limit_exceeded"})


async def test_unknown_destination_is_not_found() -> None:
    async with running() as (_, api):
        path = f"{DESTINATIONS}/{'a' * 32}"
        update = await api.call(
            "PUT", path, {"aliasName": "A", "destination": "a@b.jp"}
        )
        delete = await api.call("DELETE", path)

    assert update == delete == (404, {"error": "destination_not_found"})


@pytest.mark.parametrize(
    "body",
    [
        {**MAIL, "aliasName": ""},
        {**MAIL, "aliasName": "x" * 21},
        {**MAIL, "aliasName": "事務所"},
        {**MAIL, "destinationService": "ftp"},
        {**MAIL, "destination": "abc"},
        {**MAIL, "destination": "not-a-mail-address"},
        {"aliasName": "Web", "destinationService": "url", "destination": "ftp://x.jp"},
        {"aliasName": "Web", "destinationService": "url"},
    ],
)
async def test_malformed_destination_is_an_invalid_resource(
    body: dict[str, str],
) -> None:
    async with running() as (_, api):
        result = await api.call("POST", DESTINATIONS, body)

    assert result == (400, {"error": "invalid_resource"})


async def test_multibyte_alias_is_accepted_where_the_panel_shows_it() -> None:
    async with running(linked=False) as (_, api):
        await api.link(PHOTO_PRINTER)
        status, _ = await api.call(
            "POST", DESTINATIONS, {**MAIL, "aliasName": "事務所"}
        )

    assert status == 201


async def test_printer_without_scanner_does_not_support_scanning() -> None:
    async with running(linked=False) as (_, api):
        await api.link(MONO_PRINTER)
        result = await api.call("GET", DESTINATIONS)

    assert result == (400, {"error": "not_supported"})
