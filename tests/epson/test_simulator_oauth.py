"""The simulator's authorization server: consent page, codes, tokens, PKCE."""

from __future__ import annotations

import base64
import hashlib

from yarl import URL

from tests.epson.test_simulator_support import (
    MONO_PRINTER,
    REDIRECT_URI,
    Api,
    basic,
    running,
)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _consent(api: Api, **form: str) -> tuple[int, URL]:
    fields = {
        "response_type": "code",
        "client_id": api.sim.settings.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "device",
        "state": "st-9",
        **form,
    }
    url = f"{api.sim.url}/auth/authorize"
    async with api.session.post(url, data=fields, allow_redirects=False) as response:
        return response.status, URL(response.headers.get("Location", ""))


async def test_authorize_shows_consent_page_listing_every_printer() -> None:
    async with running(linked=False) as (sim, api):
        url = f"{sim.url}/auth/authorize"
        params = {
            "response_type": "code",
            "client_id": sim.settings.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "device",
            "state": "xyz",
        }
        async with api.session.get(url, params=params) as response:
            page = await response.text()

    assert response.status == 200
    assert response.content_type == "text/html"
    for printer in sim.printers.values():
        assert printer.serial in page
        assert printer.product_name in page
    assert 'value="approve"' in page
    assert 'value="deny"' in page
    assert 'name="state" value="xyz"' in page


async def test_consent_approve_redirects_with_code_and_state() -> None:
    async with running(linked=False) as (_, api):
        status, location = await _consent(api, decision="approve", serial=MONO_PRINTER)

    assert status == 302
    assert str(location.with_query(None)) == REDIRECT_URI
    assert location.query["state"] == "st-9"
    assert len(location.query["code"]) > 20


async def test_consent_deny_redirects_with_access_denied() -> None:
    async with running(linked=False) as (_, api):
        status, location = await _consent(api, decision="deny", serial=MONO_PRINTER)

    assert status == 302
    assert location.query["error"] == "access_denied"
    assert location.query["state"] == "st-9"
    assert "code" not in location.query


async def test_consent_for_unregistered_printer_redirects_not_registered() -> None:
    async with running(linked=False) as (sim, api):
        sim.printers[MONO_PRINTER].registered = False
        status, location = await _consent(api, decision="approve", serial=MONO_PRINTER)

    assert status == 302
    assert location.query["error"] == "not_registered"


async def test_authorize_refuses_unknown_client_with_a_page() -> None:
    async with running(linked=False) as (_, api):
        response = await api.authorize(client_id="someone-else")

    assert response.status == 400
    assert "Location" not in response.headers


async def test_auto_approve_redirects_at_once_with_a_code() -> None:
    async with running(linked=False, auto_approve=True) as (_, api):
        response = await api.authorize()

    assert response.status == 302
    assert "code" in URL(response.headers["Location"]).query


async def test_queued_outcomes_decide_without_the_page() -> None:
    async with running(linked=False) as (sim, api):
        sim.next_authorize_outcome("not_registered")
        refused = await api.authorize()
        sim.next_authorize_outcome("access_denied")
        denied = await api.authorize()

    assert URL(refused.headers["Location"]).query["error"] == "not_registered"
    assert URL(denied.headers["Location"]).query["error"] == "access_denied"


async def test_code_for_a_chosen_serial_links_that_printer() -> None:
    async with running(linked=False) as (_, api):
        await api.link(MONO_PRINTER)
        status, info = await api.call("GET", "/printing/devices/info")

    assert status == 200
    assert info["serialNumber"] == MONO_PRINTER


async def test_token_response_has_the_documented_fields() -> None:
    async with running(linked=False, token_lifetime=1234) as (_, api):
        code = await api.code()
        form = {"grant_type": "authorization_code", "code": code}
        status, body = await api.token({**form, "redirect_uri": REDIRECT_URI})

    assert status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1234
    assert body["scope"] == "device"
    assert body["access_token"] != body["refresh_token"]


async def test_code_cannot_be_used_twice_and_reuse_revokes_its_tokens() -> None:
    async with running(linked=False) as (_, api):
        code = await api.code()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
        }
        _, first = await api.token(form)
        status, again = await api.token(form)
        after, _ = await api.call(
            "GET", "/printing/devices/info", token=first["access_token"]
        )

    assert (status, again) == (400, {"error": "invalid_grant"})
    assert after == 401


async def test_code_with_other_redirect_uri_is_refused() -> None:
    async with running(linked=False) as (_, api):
        code = await api.code()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:9/elsewhere",
        }
        status, body = await api.token(form)

    assert (status, body) == (400, {"error": "invalid_grant"})


async def test_pkce_verifier_must_match_the_challenge() -> None:
    verifier = "v" * 50
    async with running(linked=False) as (_, api):
        pkce = {"code_challenge": _challenge(verifier), "code_challenge_method": "S256"}
        base = {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI}
        wrong_code = await api.code(**pkce)
        wrong = await api.token({**base, "code": wrong_code, "code_verifier": "x" * 50})
        right_code = await api.code(**pkce)
        right = await api.token({**base, "code": right_code, "code_verifier": verifier})

    assert wrong == (400, {"error": "invalid_grant"})
    assert right[0] == 200


async def test_pkce_plain_method_is_refused_at_authorize() -> None:
    async with running(linked=False) as (sim, api):
        sim.next_authorize_outcome("approve")
        response = await api.authorize(
            code_challenge="abc", code_challenge_method="plain"
        )

    assert URL(response.headers["Location"]).query["error"] == "invalid_request"


async def test_refresh_rotates_and_the_old_refresh_token_dies() -> None:
    async with running() as (_, api):
        old = api.refresh_token
        status, fresh = await api.token(
            {"grant_type": "refresh_token", "refresh_token": old}
        )
        reused = await api.token({"grant_type": "refresh_token", "refresh_token": old})
        works, _ = await api.call(
            "GET", "/printing/devices/info", token=fresh["access_token"]
        )

    assert status == 200
    assert fresh["refresh_token"] != old
    assert reused == (400, {"error": "invalid_grant"})
    assert works == 200


async def test_refresh_token_expires_after_refresh_lifetime() -> None:
    async with running(refresh_lifetime=0) as (_, api):
        result = await api.token(
            {"grant_type": "refresh_token", "refresh_token": api.refresh_token}
        )

    assert result == (400, {"error": "invalid_grant"})


async def test_client_credentials_give_an_application_token_without_refresh() -> None:
    async with running(linked=False) as (_, api):
        status, body = await api.token({"grant_type": "client_credentials"})

    assert status == 200
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body


async def test_token_endpoint_refuses_bad_client_credentials_with_401() -> None:
    async with running(linked=False) as (sim, api):
        wrong = basic(sim.settings.client_id, "not-the-secret")
        status, body = await api.token({"grant_type": "client_credentials"}, wrong)

    assert (status, body) == (401, {"error": "invalid_client"})


async def test_token_endpoint_refuses_unknown_grant_type() -> None:
    async with running(linked=False) as (_, api):
        result = await api.token({"grant_type": "password", "username": "u"})

    assert result == (400, {"error": "unsupported_grant_type"})


async def test_revoked_link_kills_device_and_refresh_tokens() -> None:
    async with running() as (sim, api):
        serial = next(iter(sim.printers))
        sim.revoke_link(serial)
        call, _ = await api.call("GET", "/printing/devices/info")
        refresh = await api.token(
            {"grant_type": "refresh_token", "refresh_token": api.refresh_token}
        )

    assert call == 401
    assert refresh == (400, {"error": "invalid_grant"})
