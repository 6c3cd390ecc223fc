"""The simulator's print jobs: create, upload, print, cancel, copy, limits, expiry."""

from __future__ import annotations

import re

import pytest

from tests.epson.test_simulator_support import (
    A4_PLAIN,
    DOC_PRINTER,
    MONO_PRINTER,
    jpeg_bytes,
    pdf_bytes,
    running,
)


async def test_job_runs_to_completed_and_counts_pages_times_copies() -> None:
    async with running() as (sim, api):
        settings = {**A4_PLAIN, "copies": 2}
        job_id = await api.printed_job("report", data=pdf_bytes(3), settings=settings)

        await api.wait_for_status(job_id, "completed")
        status, info = await api.call("GET", f"/printing/jobs/{job_id}")

    assert status == 200
    assert info["totalPages"] == 6
    assert info["jobName"] == "report"
    assert sim.prints_of("report") == 1
    assert sim.prints[0].pages == 3


async def test_job_goes_through_pending_and_processing_with_zero_pages() -> None:
    async with running(step_seconds=0.1) as (_, api):
        job_id = await api.uploaded_job("steps")
        before = await api.call("GET", f"/printing/jobs/{job_id}")
        await api.call("POST", f"/printing/jobs/{job_id}/print")
        pending = await api.call("GET", f"/printing/jobs/{job_id}")
        await api.wait_for_status(job_id, "processing")
        _, processing = await api.call("GET", f"/printing/jobs/{job_id}")
        await api.wait_for_status(job_id, "completed")

    assert before[1]["status"] == "preparing"
    assert pending[1]["status"] == "pending"
    assert pending[1]["totalPages"] == 0
    assert processing["totalPages"] == 0


async def test_create_job_answers_an_upload_uri_on_the_simulator() -> None:
    async with running() as (sim, api):
        status, body = await api.create_job("x", A4_PLAIN)

    assert status == 201
    assert re.fullmatch(r"[0-9a-f]{32}", body["jobId"])
    assert re.fullmatch(
        re.escape(sim.url) + r"/data\?Key=[0-9a-f]{64}", body["uploadUri"]
    )


async def test_job_info_dates_use_the_documented_format() -> None:
    async with running() as (_, api):
        job_id = await api.uploaded_job()
        _, info = await api.call("GET", f"/printing/jobs/{job_id}")

    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", info["startDate"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", info["updateDate"])


async def test_upload_to_unknown_key_is_404() -> None:
    async with running() as (sim, api):
        status = await api.upload(f"{sim.url}/data?Key={'0' * 64}", pdf_bytes())

    assert status == 404


async def test_upload_with_wrong_method_is_405() -> None:
    async with running() as (_, api):
        _, body = await api.create_job("x", A4_PLAIN)
        status = await api.upload(body["uploadUri"], pdf_bytes(), method="PUT")

    assert status == 405


async def test_second_upload_for_the_same_key_is_409() -> None:
    async with running() as (_, api):
        _, body = await api.create_job("x", A4_PLAIN)
        first = await api.upload(body["uploadUri"], pdf_bytes())
        second = await api.upload(body["uploadUri"], pdf_bytes())

    assert (first, second) == (200, 409)


async def test_upload_over_the_size_limit_is_413() -> None:
    async with running(max_upload=1000) as (sim, api):
        _, body = await api.create_job("x", A4_PLAIN)
        status = await api.upload(body["uploadUri"], b"%PDF-" + b"0" * 2000)

    assert status == 413
    assert sim.requests[-1].body_size > 1000


@pytest.mark.parametrize(
    ("file_name", "content_type"),
    [
        ("1.gif", "image/gif"),
        ("1.docx", "application/octet-stream"),
        ("1.pdf", "image/png"),
        ("1.pdf", "text/plain"),
    ],
)
async def test_upload_of_an_unsupported_type_is_415(
    file_name: str, content_type: str
) -> None:
    async with running() as (_, api):
        _, body = await api.create_job("x", A4_PLAIN)
        status = await api.upload(
            body["uploadUri"], pdf_bytes(), file_name, content_type
        )

    assert status == 415


@pytest.mark.parametrize("query", ["", "&File=", "&File=report.pdf"])
async def test_upload_without_a_proper_file_name_is_400(query: str) -> None:
    async with running() as (_, api):
        _, body = await api.create_job("x", A4_PLAIN)
        url = body["uploadUri"] + query
        async with api.session.post(url, data=pdf_bytes()) as response:
            status = response.status

    assert status == 400


async def test_upload_takes_raw_octet_stream_and_records_only_the_size() -> None:
    async with running() as (sim, api):
        _, body = await api.create_job("x", A4_PLAIN)
        data = pdf_bytes()
        status = await api.upload(
            body["uploadUri"], data, "1.pdf", "application/octet-stream"
        )

    upload = sim.requests[-1]
    assert status == 200
    assert upload.body == b""
    assert upload.body_size == len(data)


async def test_print_without_upload_is_invalid_print_data() -> None:
    async with running() as (_, api):
        _, body = await api.create_job("x", A4_PLAIN)
        result = await api.call("POST", f"/printing/jobs/{body['jobId']}/print")

    assert result == (400, {"error": "invalid_print_data"})


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7 this is no pdf", b"plain text pretending", pdf_bytes(2)[:300]],
)
async def test_print_of_an_unreadable_pdf_is_invalid_print_data(data: bytes) -> None:
    async with running() as (sim, api):
        job_id = await api.uploaded_job("bad", data=data)
        result = await api.call("POST", f"/printing/jobs/{job_id}/print")

    assert result == (400, {"error": "invalid_print_data"})
    assert sim.prints_of("bad") == 0


async def test_print_of_a_jpeg_named_pdf_is_invalid_print_data() -> None:
    async with running() as (_, api):
        job_id = await api.uploaded_job("pic", data=jpeg_bytes())
        result = await api.call("POST", f"/printing/jobs/{job_id}/print")

    assert result == (400, {"error": "invalid_print_data"})


async def test_photo_job_prints_a_jpeg_as_one_page() -> None:
    async with running() as (sim, api):
        status, body = await api.call(
            "POST", "/printing/jobs", {"jobName": "pic", "printMode": "photo"}
        )
        await api.upload(body["uploadUri"], jpeg_bytes(), "1.jpg", "image/jpeg")
        await api.call("POST", f"/printing/jobs/{body['jobId']}/print")
        await api.wait_for_status(body["jobId"], "completed")

    assert status == 201
    assert sim.prints[0].pages == 1
    assert sim.prints[0].settings == sim.printers[DOC_PRINTER].defaults["photo"]


async def test_print_twice_is_not_allowed() -> None:
    async with running() as (sim, api):
        job_id = await api.printed_job("once")
        again = await api.call("POST", f"/printing/jobs/{job_id}/print")
        await api.wait_for_status(job_id, "completed")

    assert again == (403, {"error": "operation_not_allowed"})
    assert sim.prints_of("once") == 1


async def test_cancel_while_preparing_is_allowed() -> None:
    async with running() as (_, api):
        job_id = await api.uploaded_job()
        status, _ = await api.call("POST", f"/printing/jobs/{job_id}/cancel")
        after = await api.job_status(job_id)

    assert status == 204
    assert after == "canceled"


async def test_cancel_while_pending_stops_the_job() -> None:
    async with running() as (sim, api):
        sim.faults.set_offline(DOC_PRINTER)
        job_id = await api.printed_job("held")
        status, _ = await api.call("POST", f"/printing/jobs/{job_id}/cancel")
        sim.faults.set_offline(DOC_PRINTER, False)

    assert status == 204
    assert sim.prints_of("held") == 0


async def test_cancel_once_processing_is_not_allowed() -> None:
    async with running(step_seconds=0.3) as (_, api):
        job_id = await api.printed_job()
        await api.wait_for_status(job_id, "processing")
        result = await api.call("POST", f"/printing/jobs/{job_id}/cancel")

    assert result == (403, {"error": "operation_not_allowed"})


async def test_cancel_a_completed_job_is_not_allowed() -> None:
    async with running() as (_, api):
        job_id = await api.printed_job()
        await api.wait_for_status(job_id, "completed")
        result = await api.call("POST", f"/printing/jobs/{job_id}/cancel")

    assert result == (403, {"error": "operation_not_allowed"})


async def test_print_beyond_the_job_limit_is_refused() -> None:
    async with running(job_limit=2) as (sim, api):
        sim.faults.set_offline(DOC_PRINTER)
        await api.printed_job("a")
        await api.printed_job("b")
        third = await api.uploaded_job("c")
        result = await api.call("POST", f"/printing/jobs/{third}/print")

    assert result == (403, {"error": "job_limit_exceeded"})


async def test_unknown_job_is_job_not_found() -> None:
    async with running() as (_, api):
        results = [
            await api.call("GET", "/printing/jobs/" + "f" * 32),
            await api.call("POST", "/printing/jobs/" + "f" * 32 + "/print"),
            await api.call("POST", "/printing/jobs/" + "f" * 32 + "/cancel"),
        ]

    assert results == [(404, {"error": "job_not_found"})] * 3


async def test_job_of_another_printer_is_job_not_found() -> None:
    async with running() as (_, api):
        job_id = await api.uploaded_job()
        await api.link(MONO_PRINTER)
        result = await api.call("GET", f"/printing/jobs/{job_id}")

    assert result == (404, {"error": "job_not_found"})


async def test_copy_reuses_the_file_and_overrides_only_given_settings() -> None:
    async with running() as (sim, api):
        source = await api.uploaded_job("src", data=pdf_bytes(2), settings=A4_PLAIN)
        status, body = await api.call(
            "POST",
            "/printing/jobs/copy",
            {"fromJobId": source, "jobName": "dup", "printSettings": {"copies": 3}},
        )
        await api.call("POST", f"/printing/jobs/{body['jobId']}/print")
        await api.wait_for_status(body["jobId"], "completed")
        _, info = await api.call("GET", f"/printing/jobs/{body['jobId']}")

    assert status == 201
    assert set(body) == {"jobId"}
    assert info["totalPages"] == 6
    assert sim.prints[0].settings == {**A4_PLAIN, "copies": 3}


async def test_copy_refuses_settings_the_printer_cannot_print() -> None:
    async with running() as (_, api):
        source = await api.uploaded_job("src", settings=A4_PLAIN)
        result = await api.call(
            "POST",
            "/printing/jobs/copy",
            {"fromJobId": source, "printSettings": {"paperSize": "ps_a3"}},
        )

    assert result == (400, {"error": "invalid_print_settings"})


async def test_copy_of_a_job_without_a_file_is_invalid_print_data() -> None:
    async with running() as (_, api):
        _, body = await api.create_job("empty", A4_PLAIN)
        result = await api.call(
            "POST", "/printing/jobs/copy", {"fromJobId": body["jobId"]}
        )

    assert result == (400, {"error": "invalid_print_data"})


async def test_job_expires_and_can_no_longer_be_printed() -> None:
    async with running(job_expiry=0.05) as (_, api):
        job_id = await api.uploaded_job("old")
        await api.wait_for_status(job_id, "expired")
        result = await api.call("POST", f"/printing/jobs/{job_id}/print")

    assert result == (404, {"error": "job_not_found"})


async def test_completed_job_keeps_its_status_past_expiry() -> None:
    async with running(job_expiry=0.2) as (sim, api):
        job_id = await api.printed_job("done")
        await api.wait_for_status(job_id, "completed")
        expired_too = await api.uploaded_job("later")
        await api.wait_for_status(expired_too, "expired")
        status = await api.job_status(job_id)

    assert status == "completed"
    assert sim.prints_of("done") == 1
