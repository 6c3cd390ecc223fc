"""Tests for the Epson error tree and the tables that map statuses to it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.epson import errors
from bot.epson.errors import (
    AccessDenied,
    ClientRejected,
    DestinationNotFound,
    DeviceNotFound,
    EpsonError,
    EpsonUnavailable,
    InvalidResource,
    JobNotFound,
    NotFound,
    NotRegistered,
    ScheduleNotFound,
    TokenRefused,
    Unauthorized,
    UploadConflict,
    UploadError,
    UploadKeyNotFound,
    UploadMethodNotAllowed,
    UploadRejected,
    UploadServerError,
    UploadTooLarge,
    UploadUnsupportedType,
    api_error_class,
    redirect_error_class,
    token_error_class,
    upload_error_class,
)
from bot.errors import ChatprintError

_COMMON_ROW = re.compile(r"\|([a-z_]+)\|(\d{3})\|")


def _spec(spec_path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(spec_path.read_text(encoding="utf-8")))


def _examples(node: object) -> list[str]:
    """Every ``{"error": "..."}`` example anywhere under a response."""
    if isinstance(node, list):
        return [e for item in node for e in _examples(item)]
    if not isinstance(node, dict):
        return []
    found = [node["error"]] if isinstance(node.get("error"), str) else []
    return found + [e for value in node.values() for e in _examples(value)]


def _spec_error_pairs(spec_path: Path) -> set[tuple[int, str]]:
    """Every (status, error string) the spec documents, per operation and common."""
    spec = _spec(spec_path)
    pairs = {
        (int(status), error)
        for path in spec["paths"].values()
        for method, operation in path.items()
        if method != "servers"
        for status, response in operation["responses"].items()
        for error in _examples(response)
    }
    pairs |= {
        (int(status), error)
        for error, status in _COMMON_ROW.findall(spec["info"]["description"])
    }
    return pairs


def _upload_statuses(spec_path: Path) -> set[int]:
    paths = _spec(spec_path)["paths"]
    return {
        int(status)
        for name in ("/data", "/schedule_data")
        for status in paths[name]["post"]["responses"]
        if int(status) >= 400
    }


def test_the_spec_documents_the_errors_this_test_expects(epson_spec_path: Path) -> None:
    pairs = _spec_error_pairs(epson_spec_path)

    assert len({error for _, error in pairs}) == 16
    assert (404, "job_not_found") in pairs
    assert (500, "internal_server_error") in pairs


def test_every_documented_error_string_has_its_own_class(epson_spec_path: Path) -> None:
    pairs = _spec_error_pairs(epson_spec_path)

    for status, error in sorted(pairs):
        cls = api_error_class(status, error)
        expected_key = (
            "epson.unavailable"
            if error == "internal_server_error"
            else f"epson.{error}"
        )
        assert cls.default_key == expected_key, (status, error)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (404, "device_not_found", DeviceNotFound),
        (404, "job_not_found", JobNotFound),
        (404, "schedule_not_found", ScheduleNotFound),
        (404, "destination_not_found", DestinationNotFound),
        (401, "unauthorized", Unauthorized),
        (500, "internal_server_error", EpsonUnavailable),
    ],
)
def test_api_errors_map_by_error_string(
    status: int, error: str, expected: type[EpsonError]
) -> None:
    assert api_error_class(status, error) is expected


def test_the_four_not_found_errors_share_a_parent() -> None:
    for cls in (DeviceNotFound, JobNotFound, ScheduleNotFound, DestinationNotFound):
        assert issubclass(cls, NotFound)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, None, InvalidResource),
        (400, "brand_new_error", InvalidResource),
        (401, None, Unauthorized),
        (404, None, NotFound),
        (429, None, EpsonUnavailable),
        (502, None, EpsonUnavailable),
        (503, "brand_new_error", EpsonUnavailable),
        (403, None, EpsonError),
        (418, None, EpsonError),
    ],
)
def test_api_errors_fall_back_on_the_status(
    status: int, error: str | None, expected: type[EpsonError]
) -> None:
    assert api_error_class(status, error) is expected


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, "invalid_grant", TokenRefused),
        (400, "invalid_request", TokenRefused),
        (400, "unsupported_grant_type", TokenRefused),
        (400, "invalid_scope", TokenRefused),
        (401, "invalid_client", ClientRejected),
        (400, "unauthorized_client", ClientRejected),
        (401, None, ClientRejected),
        (400, None, TokenRefused),
        (500, None, EpsonUnavailable),
    ],
)
def test_token_endpoint_refusals_map_to_relink_or_config_errors(
    status: int, error: str | None, expected: type[EpsonError]
) -> None:
    assert token_error_class(status, error) is expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("not_registered", NotRegistered),
        ("access_denied", AccessDenied),
        ("server_error", EpsonUnavailable),
        ("unauthorized_client", ClientRejected),
        ("something_new", AccessDenied),
    ],
)
def test_redirect_errors_map_by_error_string(
    error: str, expected: type[EpsonError]
) -> None:
    assert redirect_error_class(error) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, UploadRejected),
        (404, UploadKeyNotFound),
        (405, UploadMethodNotAllowed),
        (409, UploadConflict),
        (413, UploadTooLarge),
        (415, UploadUnsupportedType),
        (500, UploadServerError),
        (503, UploadServerError),
        (403, UploadError),
    ],
)
def test_upload_statuses_map_to_classes(
    status: int, expected: type[UploadError]
) -> None:
    assert upload_error_class(status) is expected


def test_every_documented_upload_status_has_its_class(epson_spec_path: Path) -> None:
    statuses = _upload_statuses(epson_spec_path)

    for status in statuses:
        cls = upload_error_class(status)
        assert cls is not UploadError
        assert cls.status == status


def test_an_upload_error_keeps_the_status_it_was_given() -> None:
    error = UploadServerError("upload failed", status=503)

    assert error.status == 503
    assert UploadServerError("upload failed").status == 500


def test_every_error_is_a_chatprint_error_with_its_own_key() -> None:
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, EpsonError)
    ]

    keys = [cls.default_key for cls in classes]

    assert len(classes) >= 35
    assert all(issubclass(cls, ChatprintError) for cls in classes)
    assert all(not issubclass(cls, ValueError) for cls in classes)
    assert len(set(keys)) == len(keys)


def test_unavailable_records_whether_the_request_left() -> None:
    never_sent = EpsonUnavailable("no route", request_sent=False)

    assert not never_sent.request_sent
    assert EpsonUnavailable("timeout").request_sent
    assert never_sent.key == "epson.unavailable"
