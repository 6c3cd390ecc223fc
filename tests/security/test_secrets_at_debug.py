"""A whole Telegram run of ``chatprint run`` at DEBUG leaves no secret in its log,
and the database file holds no token in plaintext."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

from bench.drivers import bot_on, wait_done
from bench.files import one_page_pdf
from bench.stage import SECRET_KEY, Stage
from bot.epson.simulator import RecordedRequest

TOKEN_FIELDS = ("access_token", "refresh_token")


async def test_a_debug_run_through_telegram_logs_no_secret(tmp_path: Path) -> None:
    async with Stage(tmp_path) as stage, bot_on(stage, log_level="DEBUG") as bot:
        user = stage.new_user()
        await stage.link([user])
        stage.sim.expire_device_tokens()
        stage.send_file(user, one_page_pdf(), "first.pdf")
        stage.send_file(user, one_page_pdf(), "second.pdf")
        await wait_done(stage, [user], count=2, within=60)
        await bot.stop()
        secrets = _secrets(stage, stage.sim.requests)

    log = bot.log.read_text()
    stored = b"".join(p.read_bytes() for p in bot.data.glob("chatprint.db*"))

    assert "Printer 1 token refreshed" in log
    assert len(secrets) >= 8
    assert [s[:6] for s in secrets if s in log] == []
    assert [s[:6] for s in secrets if s.encode() in stored] == []


def _secrets(stage: Stage, requests: list[RecordedRequest]) -> set[str]:
    """Every secret the run used: configured ones and all the simulator issued."""
    found = {
        stage.telegram.token,
        stage.sim.settings.client_secret,
        stage.sim.settings.api_key,
        SECRET_KEY,
    }
    for request in requests:
        if request.path == "/auth/token":
            found |= _grant_secrets(request)
        if request.path == "/data":
            found.add(request.query["Key"])
    return {secret for secret in found if secret}


def _grant_secrets(request: RecordedRequest) -> set[str]:
    form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
    sent = {form.get(k, "") for k in ("code", "code_verifier", "refresh_token")}
    answer = request.response_json if isinstance(request.response_json, dict) else {}
    issued = {str(answer.get(field, "")) for field in TOKEN_FIELDS}
    return sent | issued
