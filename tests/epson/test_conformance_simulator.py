"""Every simulator answer, checked against the official Epson Connect v2 spec.

The test drives all 22 operations (the 20 API operations and the two uploads)
through success and every declared error it can provoke, then validates each
recorded answer with openapi-core: the status must be declared for that
operation (or be one of the spec's common errors), and the body must fit the
declared schema, with every declared property present.

Two defects of the spec itself are worked around, not counted:

* ``applicationToken`` declares a clientCredentials flow without ``scopes``,
  so the spec does not validate; spec validation is turned off.
* job info declares ``startDate``/``updateDate`` as ``format: date`` while its
  own example and text give ``YYYY-MM-DD HH:MM:SS``; that form is what "date"
  accepts here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters

from bot.epson.simulator import RecordedRequest, Simulator
from bot.epson.simulator.api_scheduling import quarter_hours_ahead
from tests.epson.test_simulator_support import (
    A4_PLAIN,
    DOC_PRINTER,
    MONO_PRINTER,
    Api,
    pdf_bytes,
    running,
)

API_HOST = "https://api.epsonconnect.com"
UPLOAD_HOST = "https://upload.epsonconnect.com"
UPLOAD_PATHS = ("/data", "/schedule_data")
# The spec's common error list applies to every operation without being declared.
COMMON_ERRORS = {
    400: {"invalid_resource", "not_supported"},
    401: {"unauthorized"},
    500: {"internal_server_error"},
}
_SPEC_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    body: bytes | None = None
    content_type: str = "application/json"
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class _Response:
    status_code: int
    data: bytes | None
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    statuses: set[int]


def _spec_date(value: object) -> bool:
    return isinstance(value, str) and _SPEC_DATE_TIME.fullmatch(value) is not None


def _openapi(spec_path: Path) -> OpenAPI:
    config = Config(
        spec_validator_cls=None,
        extra_format_validators={"date": _spec_date},
        response_properties_default_policy="required",
    )
    return OpenAPI.from_path(spec_path, config=config)


def _operations(spec_path: Path) -> list[_Operation]:
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    operations = []
    for template, item in spec["paths"].items():
        prefix = "" if template in UPLOAD_PATHS else "/api/2"
        regex = re.sub(r"\\\{[^/]+\\\}", "[^/]+", re.escape(prefix + template))
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete"):
                statuses = {int(code) for code in operation["responses"]}
                operations.append(
                    _Operation(method, template, re.compile(regex), statuses)
                )
    # Literal segments first: /printing/capability/default before {printMode}.
    operations.sort(key=lambda op: op.template.count("{"))
    return operations


def _operation_of(entry: RecordedRequest, operations: list[_Operation]) -> _Operation:
    method = entry.method.lower()
    if entry.path in UPLOAD_PATHS:
        # A wrong method on an upload path is answered under the POST operation.
        method = "post"
    for operation in operations:
        if operation.method == method and operation.pattern.fullmatch(entry.path):
            return operation
    raise AssertionError(f"{entry.method} {entry.path} is no operation of the spec")


def _violations_of(
    entry: RecordedRequest, operation: _Operation, openapi: OpenAPI
) -> list[str]:
    where = f"{entry.method} {entry.path} -> {entry.status}"
    if entry.status not in operation.statuses:
        errors = COMMON_ERRORS.get(entry.status, set())
        body = entry.response_json
        if (
            isinstance(body, dict)
            and set(body) == {"error"}
            and body["error"] in errors
        ):
            return []
        return [f"{where}: status not declared, body {body!r}"]
    try:
        openapi.validate_response(_request(entry, operation), _response(entry))
    except Exception as exc:  # openapi-core raises a tree of error types
        return [f"{where}: {exc!r} {exc.__cause__!r}"]
    return []


def _request(entry: RecordedRequest, operation: _Operation) -> _Request:
    host = UPLOAD_HOST if entry.path in UPLOAD_PATHS else API_HOST
    return _Request(host, entry.path, operation.method)


def _response(entry: RecordedRequest) -> _Response:
    body = entry.response_json
    data = b"" if body is None else json.dumps(body).encode()
    content_type = entry.response_content_type or "application/octet-stream"
    return _Response(entry.status, data, content_type)


async def _drive_printing(sim: Simulator, api: Api) -> None:
    app_token = await api.application_token()
    notification = "/printing/settings/notification"
    await api.call("GET", notification, token=app_token)
    body = {"notification": True, "callbackUri": "http://127.0.0.1:9/never"}
    await api.call("POST", notification, body, token=app_token)
    await api.call("POST", notification, {"notification": "yes"}, token=app_token)
    await api.call("POST", notification, {"notification": False}, token=app_token)
    await api.call("GET", "/printing/devices/info")
    await api.call("GET", "/printing/capability/document")
    await api.call("GET", "/printing/capability/photo")
    await api.call("GET", "/printing/capability/default")

    await api.create_job("bad", {**A4_PLAIN, "paperSize": "ps_a3"})
    _, created = await api.create_job("conformance", A4_PLAIN)
    uri, job_id = created["uploadUri"], created["jobId"]
    await api.call("POST", f"/printing/jobs/{job_id}/print")
    await _drive_uploads(sim, api, uri)
    await api.call("POST", "/printing/jobs/copy", {"fromJobId": job_id})
    await api.call("POST", "/printing/jobs/copy", {"fromJobId": "0" * 32})
    await api.call(
        "POST",
        "/printing/jobs/copy",
        {"fromJobId": job_id, "printSettings": {"paperSize": "ps_a3"}},
    )
    _, empty = await api.create_job("empty", A4_PLAIN)
    await api.call("POST", "/printing/jobs/copy", {"fromJobId": empty["jobId"]})
    await api.call("POST", f"/printing/jobs/{empty['jobId']}/cancel")
    await api.call("POST", f"/printing/jobs/{job_id}/print")
    await api.wait_for_status(job_id, "completed")
    await api.call("POST", f"/printing/jobs/{job_id}/cancel")
    await api.call("POST", f"/printing/jobs/{'0' * 32}/cancel")
    await api.call("POST", f"/printing/jobs/{'0' * 32}/print")
    await api.call("GET", f"/printing/jobs/{'0' * 32}")
    await _drive_job_limit(sim, api)


async def _drive_uploads(sim: Simulator, api: Api, uri: str) -> None:
    await api.upload(uri, pdf_bytes(), method="PUT")
    await api.upload(uri, pdf_bytes(), "1.gif", "image/gif")
    await api.upload(uri.replace("Key=", "Key=0"), pdf_bytes())
    await api.upload(uri, b"%PDF-" + b"0" * (sim.settings.max_upload + 1))
    await api.upload(uri, pdf_bytes(), "report.pdf")
    sim.faults.fail_next(status=500, path_prefix="/data")
    await api.upload(uri, pdf_bytes())
    await api.upload(uri, pdf_bytes(2))
    await api.upload(uri, pdf_bytes())


async def _drive_job_limit(sim: Simulator, api: Api) -> None:
    sim.settings.job_limit = 2
    sim.faults.set_offline(DOC_PRINTER)
    for name in ("limit-1", "limit-2"):
        await api.printed_job(name)
    third = await api.uploaded_job("limit-3")
    await api.call("POST", f"/printing/jobs/{third}/print")
    sim.faults.set_offline(DOC_PRINTER, False)


async def _drive_scheduling(sim: Simulator, api: Api) -> None:
    schedules = "/scheduling/schedules"
    body = {
        "jobName": "timed",
        "printDateTime": quarter_hours_ahead(4),
        "printMode": "document",
        "printSettings": A4_PLAIN,
    }
    await api.call(
        "POST", schedules, {**body, "printSettings": {**A4_PLAIN, "paperSize": "ps_a3"}}
    )
    _, created = await api.call("POST", schedules, body)
    schedule_id, uri = created["scheduleJobId"], created["uploadUri"]
    path = f"{schedules}/{schedule_id}"
    await api.call("POST", f"{path}/reserve")
    await api.call("POST", f"{schedules}/copy", {"fromScheduleJobId": schedule_id})
    await api.upload(uri, pdf_bytes(), method="PUT")
    await api.upload(uri.replace("Key=", "Key=0"), pdf_bytes())
    await api.upload(uri, b"%PDF-" + b"0" * (sim.settings.max_upload + 1))
    sim.faults.fail_next(status=500, path_prefix="/schedule_data")
    await api.upload(uri, pdf_bytes())
    await api.upload(uri, pdf_bytes(2))
    await api.upload(uri, pdf_bytes())

    await api.call("POST", f"{path}/reserve")
    await api.call("POST", f"{path}/reserve")
    await api.call("GET", schedules)
    await api.call("GET", path)
    _, copy = await api.call(
        "POST",
        f"{schedules}/copy",
        {"fromScheduleJobId": schedule_id, "printSettings": {"copies": 2}},
    )
    await api.call(
        "POST",
        f"{schedules}/copy",
        {"fromScheduleJobId": schedule_id, "printSettings": {"paperSize": "ps_a3"}},
    )
    await api.call("POST", f"{schedules}/copy", {"fromScheduleJobId": "0" * 32})
    await api.call("DELETE", f"{schedules}/{copy['scheduleJobId']}")
    await _drive_schedule_refusals(sim, api, body)


async def _drive_schedule_refusals(
    sim: Simulator, api: Api, body: dict[str, Any]
) -> None:
    schedules = "/scheduling/schedules"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    past = (now - timedelta(minutes=now.minute % 15)).strftime("%Y%m%d%H%M")
    _, late = await api.call("POST", schedules, {**body, "printDateTime": past})
    await api.upload(late["uploadUri"], pdf_bytes())
    await api.call("POST", f"{schedules}/{late['scheduleJobId']}/reserve")
    sim.settings.schedule_limit = 1
    _, extra = await api.call("POST", schedules, body)
    await api.upload(extra["uploadUri"], pdf_bytes())
    await api.call("POST", f"{schedules}/{extra['scheduleJobId']}/reserve")
    sim.run_due_schedules(now + timedelta(days=1))
    await api.call("DELETE", f"{schedules}/{late['scheduleJobId']}")
    missing = f"{schedules}/{'0' * 32}"
    for method, path in (
        ("GET", missing),
        ("DELETE", missing),
        ("POST", missing + "/reserve"),
    ):
        await api.call(method, path)


async def _drive_scanning(sim: Simulator, api: Api) -> None:
    destinations = "/scanning/destinations"
    mail = {
        "aliasName": "Office",
        "destinationService": "mail",
        "destination": "a@b.jp",
    }
    _, created = await api.call("POST", destinations, mail)
    path = f"{destinations}/{created['destinationId']}"
    await api.call("POST", destinations, mail)
    await api.call("GET", destinations)
    await api.call("PUT", path, {"aliasName": "Home", "destination": "c@d.jp"})
    _, other = await api.call("POST", destinations, {**mail, "aliasName": "Other"})
    await api.call("PUT", path, {"aliasName": "Other", "destination": "c@d.jp"})
    sim.settings.destination_limit = 2
    await api.call("POST", destinations, {**mail, "aliasName": "Third"})
    await api.call("DELETE", f"{destinations}/{other['destinationId']}")
    missing = f"{destinations}/{'0' * 32}"
    await api.call("PUT", missing, {"aliasName": "A", "destination": "a@b.jp"})
    await api.call("DELETE", missing)


async def _drive_common_errors(sim: Simulator, api: Api) -> None:
    await api.call("GET", "/printing/devices/info", api_key="wrong")
    sim.faults.fail_next()
    await api.call("GET", "/printing/devices/info")
    await api.link(MONO_PRINTER)
    await api.call("GET", "/scanning/destinations")
    await api.call("GET", "/printing/capability/photo")


async def _drive_unregistered_device(sim: Simulator, api: Api) -> None:
    await api.link(DOC_PRINTER)
    sim.printers[DOC_PRINTER].registered = False
    some = "0" * 32
    calls = [
        ("GET", "/printing/devices/info", None),
        ("GET", "/printing/capability/document", None),
        ("GET", "/printing/capability/default", None),
        ("POST", "/printing/jobs", {"jobName": "x", "printMode": "document"}),
        ("POST", "/printing/jobs/copy", {"fromJobId": some}),
        ("POST", f"/printing/jobs/{some}/print", None),
        ("POST", f"/printing/jobs/{some}/cancel", None),
        ("GET", f"/printing/jobs/{some}", None),
        ("GET", "/scheduling/schedules", None),
        ("POST", "/scheduling/schedules", {"jobName": "x", "printMode": "document"}),
        ("POST", "/scheduling/schedules/copy", {"fromScheduleJobId": some}),
        ("POST", f"/scheduling/schedules/{some}/reserve", None),
        ("DELETE", f"/scheduling/schedules/{some}", None),
        ("GET", f"/scheduling/schedules/{some}", None),
        ("GET", "/scanning/destinations", None),
        ("POST", "/scanning/destinations", {"aliasName": "A"}),
        ("PUT", f"/scanning/destinations/{some}", {"aliasName": "A"}),
        ("DELETE", f"/scanning/destinations/{some}", None),
    ]
    for method, path, body in calls:
        status, _ = await api.call(method, path, body)
        assert status == 404, (method, path, status)


async def test_every_simulator_answer_conforms_to_the_spec(
    epson_spec_path: Path,
) -> None:
    openapi, operations = _openapi(epson_spec_path), _operations(epson_spec_path)
    async with running(max_upload=100_000) as (sim, api):
        await _drive_printing(sim, api)
        await _drive_scheduling(sim, api)
        await _drive_scanning(sim, api)
        await _drive_common_errors(sim, api)
        await _drive_unregistered_device(sim, api)
        recorded = [e for e in sim.requests if not e.path.startswith("/auth/")]

    violations: list[str] = []
    seen: dict[tuple[str, str], set[int]] = {}
    for entry in recorded:
        operation = _operation_of(entry, operations)
        seen.setdefault((operation.method, operation.template), set()).add(entry.status)
        violations += _violations_of(entry, operation, openapi)
    missing = {
        (op.method, op.template): sorted(
            op.statuses - seen.get((op.method, op.template), set())
        )
        for op in operations
    }
    missing = {key: codes for key, codes in missing.items() if codes}

    print(f"\n{len(recorded)} answers checked, {len(violations)} violations")
    assert violations == []
    assert len(operations) == 22
    assert missing == {}
