"""The simulator's API gate, devices, capabilities and request validation."""

from __future__ import annotations

import pytest

from tests.epson.test_simulator_support import (
    A4_PLAIN,
    DOC_PRINTER,
    MONO_PRINTER,
    PHOTO_PRINTER,
    running,
)


async def test_api_refuses_a_missing_api_key() -> None:
    async with running() as (_, api):
        result = await api.call("GET", "/printing/devices/info", api_key="")

    assert result == (401, {"error": "unauthorized"})


async def test_api_refuses_a_wrong_api_key() -> None:
    async with running() as (_, api):
        result = await api.call("GET", "/printing/devices/info", api_key="nope")

    assert result == (401, {"error": "unauthorized"})


async def test_api_refuses_expired_device_tokens() -> None:
    async with running() as (sim, api):
        before, _ = await api.call("GET", "/printing/devices/info")
        sim.expire_device_tokens()
        after = await api.call("GET", "/printing/devices/info")

    assert before == 200
    assert after == (401, {"error": "unauthorized"})


async def test_device_token_dies_after_token_lifetime() -> None:
    async with running(token_lifetime=0) as (_, api):
        result = await api.call("GET", "/printing/devices/info")

    assert result == (401, {"error": "unauthorized"})


async def test_notification_setting_takes_only_an_application_token() -> None:
    async with running() as (_, api):
        with_device = await api.call("GET", "/printing/settings/notification")
        app_token = await api.application_token()
        with_app, _ = await api.call(
            "GET", "/printing/settings/notification", token=app_token
        )
        device_op, _ = await api.call("GET", "/printing/devices/info", token=app_token)

    assert with_device == (401, {"error": "unauthorized"})
    assert with_app == 200
    assert device_op == 401


async def test_unregistered_printer_answers_device_not_found() -> None:
    async with running() as (sim, api):
        sim.printers[DOC_PRINTER].registered = False
        result = await api.call("GET", "/printing/devices/info")

    assert result == (404, {"error": "device_not_found"})


@pytest.mark.parametrize(
    ("serial", "product"),
    [(DOC_PRINTER, "EW-M873T"), (MONO_PRINTER, "PX-S887"), (PHOTO_PRINTER, "EP-887A")],
)
async def test_device_info_describes_the_linked_printer(
    serial: str, product: str
) -> None:
    async with running(linked=False) as (_, api):
        await api.link(serial)
        status, info = await api.call("GET", "/printing/devices/info")

    assert status == 200
    assert info == {
        "productName": product,
        "serialNumber": serial,
        "multiByteDisplay": serial == PHOTO_PRINTER,
        "connected": True,
    }


@pytest.mark.parametrize("serial", [DOC_PRINTER, MONO_PRINTER, PHOTO_PRINTER])
async def test_default_settings_are_printable_by_the_same_printer(serial: str) -> None:
    async with running(linked=False) as (_, api):
        await api.link(serial)
        _, default = await api.call("GET", "/printing/capability/default")
        _, capability = await api.call("GET", "/printing/capability/document")
        status, _ = await api.create_job("d", default["printSettings"])

    settings = default["printSettings"]
    sizes = {entry["paperSize"]: entry for entry in capability["paperSizes"]}
    types = [t["paperType"] for t in sizes[settings["paperSize"]]["paperTypes"]]
    assert settings["paperType"] in types
    assert settings["colorMode"] in capability["colorModes"]
    assert status == 201


async def test_mono_printer_offers_mono_documents_only() -> None:
    async with running(linked=False) as (_, api):
        await api.link(MONO_PRINTER)
        _, document = await api.call("GET", "/printing/capability/document")
        photo = await api.call("GET", "/printing/capability/photo")

    assert document["colorModes"] == ["mono"]
    doubles = [
        t["doubleSided"] for s in document["paperSizes"] for t in s["paperTypes"]
    ]
    assert not any(doubles)
    assert photo == (400, {"error": "not_supported"})


async def test_photo_printer_offers_borderless_photo_sizes() -> None:
    async with running(linked=False) as (_, api):
        await api.link(PHOTO_PRINTER)
        status, photo = await api.call("GET", "/printing/capability/photo")

    sizes = {entry["paperSize"] for entry in photo["paperSizes"]}
    borderless = {
        entry["paperSize"]
        for entry in photo["paperSizes"]
        if any(t["borderless"] for t in entry["paperTypes"])
    }
    assert status == 200
    assert sizes == {"ps_kg", "ps_l", "ps_2l", "ps_a4"}
    assert borderless == sizes


async def test_document_printer_offers_duplex_and_color() -> None:
    async with running() as (_, api):
        _, document = await api.call("GET", "/printing/capability/document")

    a4 = next(s for s in document["paperSizes"] if s["paperSize"] == "ps_a4")
    assert "color" in document["colorModes"]
    assert any(t["doubleSided"] for t in a4["paperTypes"])


async def test_unknown_print_mode_is_an_invalid_resource() -> None:
    async with running() as (_, api):
        result = await api.call("GET", "/printing/capability/poster")

    assert result == (400, {"error": "invalid_resource"})


@pytest.mark.parametrize(
    ("serial", "override"),
    [
        (MONO_PRINTER, {"colorMode": "color"}),
        (MONO_PRINTER, {"doubleSided": "long"}),
        (MONO_PRINTER, {"paperSize": "ps_a3"}),
        (PHOTO_PRINTER, {"paperType": "pt_photopaper"}),
        (DOC_PRINTER, {"paperSize": "ps_legal", "paperSource": "auto"}),
        (DOC_PRINTER, {"borderless": True}),
        (DOC_PRINTER, {"copies": 100}),
    ],
)
async def test_create_job_refuses_settings_the_printer_cannot_print(
    serial: str, override: dict[str, object]
) -> None:
    async with running(linked=False) as (_, api):
        await api.link(serial)
        settings = {**A4_PLAIN, "paperSource": "front1", **override}
        if serial == PHOTO_PRINTER:
            settings["paperSource"] = "front1"
        result = await api.create_job("x", settings)

    assert result == (400, {"error": "invalid_print_settings"})


async def test_create_photo_job_on_mono_printer_is_not_supported() -> None:
    async with running(linked=False) as (_, api):
        await api.link(MONO_PRINTER)
        result = await api.call(
            "POST", "/printing/jobs", {"jobName": "p", "printMode": "photo"}
        )

    assert result == (400, {"error": "not_supported"})


@pytest.mark.parametrize(
    "body",
    [
        {"printMode": "document"},
        {"jobName": "", "printMode": "document"},
        {"jobName": "x" * 257, "printMode": "document"},
        {"jobName": "x", "printMode": "poster"},
        {"jobName": "x", "printMode": "document", "printSettings": "a4"},
        {
            "jobName": "x",
            "printMode": "document",
            "printSettings": {"paperSize": "ps_a4"},
        },
        {
            "jobName": "x",
            "printMode": "document",
            "printSettings": {**A4_PLAIN, "paperSize": "ps_a9"},
        },
        {
            "jobName": "x",
            "printMode": "document",
            "printSettings": {**A4_PLAIN, "copies": "2"},
        },
        [1, 2],
    ],
)
async def test_create_job_refuses_malformed_bodies(body: object) -> None:
    async with running() as (_, api):
        result = await api.call("POST", "/printing/jobs", body)

    assert result == (400, {"error": "invalid_resource"})


async def test_create_job_accepts_a_256_character_name_and_spec_defaults() -> None:
    required = {
        k: v
        for k, v in A4_PLAIN.items()
        if k not in ("doubleSided", "reverseOrder", "copies", "collate")
    }
    async with running() as (sim, api):
        job_id = await api.printed_job("n" * 256, settings=required)
        await api.wait_for_status(job_id, "completed")

    assert sim.prints[0].settings["reverseOrder"] is True
    assert sim.prints[0].settings["collate"] is False
    assert sim.prints[0].settings["copies"] == 1
