"""Office and OpenDocument files to PDF through a headless LibreOffice.

Two paths, both with a private profile per converter and no network (the process
runs in its own network namespace where ``unshare -rn`` works):

* warm: one soffice stays up on a private pipe; a helper (``office_bridge.py``, run
  by a Python that has LibreOffice's ``uno`` module, Debian package ``python3-uno``)
  loads and exports each document over UNO. Restarted after a crash, a timeout or
  ``RECYCLE_AFTER`` documents.
* cold: ``soffice --convert-to pdf`` per file, when no ``uno`` module is found.

A second ``soffice --convert-to`` with the profile of a running soffice hands the
job to that instance, which then exits; the cold path therefore never shares the
warm profile. Conversions through one converter run one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from bot.convert.errors import ConversionFailed, OfficeUnavailable
from bot.convert.kinds import FileKind
from bot.convert.workfiles import output_path

logger = logging.getLogger(__name__)

SOFFICE_NAMES = ("soffice", "libreoffice")
BRIDGE_SCRIPT = Path(__file__).with_name("office_bridge.py")
RECYCLE_AFTER = 200
STOP_SECONDS = 10.0
_WRITER, _CALC, _IMPRESS = "writer_pdf_Export", "calc_pdf_Export", "impress_pdf_Export"
FILTERS = {
    FileKind.DOCX: ("docx", _WRITER),
    FileKind.ODT: ("odt", _WRITER),
    FileKind.DOC: ("doc", _WRITER),
    FileKind.RTF: ("rtf", _WRITER),
    FileKind.XLSX: ("xlsx", _CALC),
    FileKind.ODS: ("ods", _CALC),
    FileKind.XLS: ("xls", _CALC),
    FileKind.PPTX: ("pptx", _IMPRESS),
    FileKind.ODP: ("odp", _IMPRESS),
    FileKind.PPT: ("ppt", _IMPRESS),
}
OFFICE_FLAGS = ("--headless", "--invisible", "--nologo", "--nodefault", "--norestore")
# Macros never run and no linked content is fetched, even where the sandbox fails.
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">
<prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">
<prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">
<prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop>
</item>
<item oor:path="/org.openoffice.Office.Common/Misc">
<prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


class OfficeConverter:
    """Converts office documents to PDF; use as ``async with OfficeConverter()``.

    Args:
        binary: The configured soffice path; else ``soffice`` or ``libreoffice``
            found on PATH.
        timeout: Seconds one conversion (or the warm start) may take.
        warm: Keep one LibreOffice running between documents.
        prewarm: Start that LibreOffice on entering the context, not on the
            first document (tests turn it off to start nothing they do not use).
    """

    def __init__(
        self,
        binary: str | None = None,
        *,
        timeout: float = 120.0,
        warm: bool = True,
        prewarm: bool = True,
    ) -> None:
        self._binary = _resolve_binary(binary)
        self._timeout = timeout
        self._warm = warm and self._binary is not None
        self._prewarm = prewarm
        self._lock = asyncio.Lock()
        self._profiles: Path | None = None
        self._bridge_task: asyncio.Task[_Bridge | None] | None = None

    @property
    def available(self) -> bool:
        """Whether a LibreOffice binary was found."""
        return self._binary is not None

    @property
    def warm(self) -> bool:
        """Whether the warm path is still in use (it turns off when it cannot start)."""
        return self._warm

    async def __aenter__(self) -> Self:
        if self._warm and self._prewarm:
            self._bridge_task = asyncio.create_task(self._open_bridge())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the warm LibreOffice and delete the private profiles."""
        async with self._lock:
            await self._drop_bridge()
            if self._profiles is not None:
                await asyncio.to_thread(shutil.rmtree, self._profiles, True)
                self._profiles = None

    async def convert(self, src: Path, out_dir: Path, kind: FileKind) -> Path:
        """Convert one office document to a new PDF in ``out_dir``.

        Args:
            src: The document; it is copied, never changed.
            out_dir: Where the PDF goes; nothing else is left there.
            kind: The detected kind, which picks LibreOffice's export filter.

        Returns:
            The path of the PDF.

        Raises:
            OfficeUnavailable: No LibreOffice binary was found, or it does not start.
            ConversionFailed: LibreOffice gave no PDF or ran past the timeout.
        """
        if self._binary is None:
            raise OfficeUnavailable("No soffice or libreoffice binary found")
        extension, filter_name = FILTERS[kind]
        async with self._lock:
            staging = _staging_dir(out_dir)
            try:
                staged = staging / f"input.{extension}"
                await asyncio.to_thread(shutil.copyfile, src, staged)
                produced = await self._convert_staged(staged, filter_name)
                return _move_result(produced, out_dir)
            finally:
                await asyncio.to_thread(shutil.rmtree, staging, True)

    async def _convert_staged(self, staged: Path, filter_name: str) -> Path:
        """Convert one staged file; once more with a fresh soffice if it died."""
        dest = staged.with_suffix(".pdf")
        try:
            await self._convert_once(staged, dest, filter_name)
        except _OfficeDied:
            logger.warning("LibreOffice died during a conversion; retrying once")
            await self._convert_once(staged, dest, filter_name)
        if not dest.is_file() or dest.stat().st_size == 0:
            raise ConversionFailed("LibreOffice produced no PDF")
        return dest

    async def _convert_once(self, staged: Path, dest: Path, filter_name: str) -> None:
        """Run the warm path when it is up, else a cold start."""
        bridge = await self._get_bridge()
        if bridge is None:
            await self._convert_cold(staged, filter_name)
        else:
            await self._convert_warm(bridge, staged, dest, filter_name)

    async def _convert_warm(
        self, bridge: _Bridge, staged: Path, dest: Path, filter_name: str
    ) -> None:
        """Convert through the running soffice; drop it when it misbehaves."""
        try:
            await bridge.convert(staged, dest, filter_name, self._timeout)
        finally:
            if not bridge.healthy or bridge.conversions >= RECYCLE_AFTER:
                await self._drop_bridge()

    async def _convert_cold(self, staged: Path, filter_name: str) -> None:
        """Start soffice for this one file and wait for it to exit."""
        profile = self._profile_dir("cold")
        sandbox = await asyncio.to_thread(network_sandbox)
        argv = [
            *sandbox,
            str(self._binary),
            f"-env:UserInstallation={profile.as_uri()}",
            *OFFICE_FLAGS,
            "--convert-to",
            f"pdf:{filter_name}",
            "--outdir",
            str(staged.parent),
            str(staged),
        ]
        await _run_group(argv, self._timeout)

    async def _get_bridge(self) -> _Bridge | None:
        """The running bridge, started on first use; None when warm is off."""
        if not self._warm:
            return None
        if self._bridge_task is None:
            self._bridge_task = asyncio.create_task(self._open_bridge())
        bridge = await self._bridge_task
        if bridge is None:
            self._warm = False
            self._bridge_task = None
        return bridge

    async def _drop_bridge(self) -> None:
        """Stop the bridge, whatever state it is in; the next use restarts it."""
        task, self._bridge_task = self._bridge_task, None
        if task is None:
            return
        if not task.done():
            task.cancel()
        # wait() rather than await: a cancelled start must not cancel this caller.
        await asyncio.wait([task])
        if not task.cancelled() and task.exception() is None:
            bridge = task.result()
            if bridge is not None:
                await bridge.close()

    async def _open_bridge(self) -> _Bridge | None:
        """Start soffice and the UNO helper with the first Python that has ``uno``."""
        profile = self._profile_dir("warm")
        sandbox = await asyncio.to_thread(network_sandbox)
        for python in _uno_pythons(self._binary):
            argv = [
                *sandbox,
                python,
                str(BRIDGE_SCRIPT),
                str(self._binary),
                profile.as_uri(),
                f"chatprint-{os.getpid()}-{id(self):x}",
                str(self._timeout),
            ]
            bridge = await _Bridge.start(argv, self._timeout)
            if bridge is not None:
                logger.info("Warm LibreOffice started with %s", python)
                return bridge
        logger.warning("Warm LibreOffice unavailable; each file starts soffice anew")
        return None

    def _profile_dir(self, name: str) -> Path:
        """A private LibreOffice profile seeded with our safety settings."""
        if self._profiles is None:
            self._profiles = Path(tempfile.mkdtemp(prefix="chatprint-office-"))
        profile = self._profiles / name
        settings = profile / "user" / "registrymodifications.xcu"
        if not settings.exists():
            settings.parent.mkdir(parents=True, mode=0o700)
            settings.write_text(PROFILE_SETTINGS, encoding="utf-8")
        return profile


class _OfficeDied(ConversionFailed):
    """soffice or its helper ended during a request (not a timeout)."""


class _Bridge:
    """The UNO helper process and its soffice, in one process group."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.conversions = 0
        self.healthy = True

    @classmethod
    async def start(cls, argv: list[str], time_limit: float) -> _Bridge | None:
        """Launch the helper and wait for its ready line; None if it fails."""
        try:
            bridge = cls(await _spawn(argv, piped=True))
        except OSError as exc:
            logger.info("UNO helper could not be launched: %s", exc)
            return None

        try:
            answer = await bridge._read_answer(time_limit)
        except (ConversionFailed, ValueError) as exc:
            answer = {"error": str(exc)}
        except BaseException:
            await bridge.close()
            raise
        if answer.get("ready") is True:
            return bridge

        logger.info("UNO helper did not start: %s", answer.get("error", "no answer"))
        await bridge.close()
        return None

    async def convert(
        self, src: Path, dest: Path, filter_name: str, time_limit: float
    ) -> None:
        """Ask for one conversion and wait for its answer.

        Raises:
            ConversionFailed: LibreOffice refused the file, or the helper died or
                ran past ``time_limit`` (the bridge is then unhealthy).
        """
        request = {"src": str(src), "dest": str(dest), "filter": filter_name}
        self.conversions += 1
        try:
            await self._send(request)
            answer = await self._read_answer(time_limit)
        except BaseException:
            self.healthy = False
            raise
        if answer.get("alive") is False:
            self.healthy = False
            raise _OfficeDied(f"soffice died: {answer.get('error')}")
        if answer.get("ok") is not True:
            raise ConversionFailed(
                f"LibreOffice refused the file: {answer.get('error')}"
            )

    async def _send(self, request: dict[str, str]) -> None:
        """Write one request line; a closed pipe means the helper is gone."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            await self._process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise _OfficeDied("The LibreOffice helper is gone") from exc

    async def _read_answer(self, time_limit: float) -> dict[str, Any]:
        """One JSON line from the helper; a dead or silent helper is a failure."""
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), time_limit)
        except TimeoutError as exc:
            self.healthy = False
            raise ConversionFailed(f"LibreOffice took over {time_limit:.0f}s") from exc
        if not line:
            self.healthy = False
            raise _OfficeDied("The LibreOffice helper exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def close(self) -> None:
        """Close the helper's stdin (it stops soffice); kill the group if it lingers."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), STOP_SECONDS)
        except TimeoutError:
            logger.warning(
                "LibreOffice did not stop in %.0fs; killing it", STOP_SECONDS
            )
        finally:
            await _kill_group(self._process)


async def _run_group(argv: list[str], time_limit: float) -> None:
    """Run a command in its own process group; kill the whole group on timeout."""
    try:
        process = await _spawn(argv, piped=False)
    except OSError as exc:
        raise OfficeUnavailable(f"LibreOffice did not start: {exc}") from exc
    try:
        await asyncio.wait_for(process.wait(), time_limit)
    except TimeoutError as exc:
        raise ConversionFailed(f"LibreOffice took over {time_limit:.0f}s") from exc
    finally:
        await _kill_group(process)


async def _spawn(argv: list[str], *, piped: bool) -> asyncio.subprocess.Process:
    """Start ``argv`` as the leader of a new process group (and session)."""
    stream = subprocess.PIPE if piped else subprocess.DEVNULL
    return await asyncio.create_subprocess_exec(
        *argv,
        stdin=stream,
        stdout=stream,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def _kill_group(process: asyncio.subprocess.Process) -> None:
    """SIGKILL every process in the group led by ``process`` and reap the leader."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


def _staging_dir(out_dir: Path) -> Path:
    """A new private folder inside ``out_dir``, which is made if missing."""
    out_dir.mkdir(mode=0o700, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="office-", dir=out_dir))


def _move_result(produced: Path, out_dir: Path) -> Path:
    """Move the PDF out of the staging directory under a fresh name."""
    dest = output_path(out_dir, ".pdf")
    os.replace(produced, dest)
    return dest


def _resolve_binary(binary: str | None) -> str | None:
    """The configured binary if it exists, else the first LibreOffice on PATH."""
    if binary is not None:
        return shutil.which(binary)
    return next(filter(None, map(shutil.which, SOFFICE_NAMES)), None)


def _uno_pythons(binary: str | None) -> list[str]:
    """Interpreters that may have ``uno``: LibreOffice's own, then the system's."""
    candidates = []
    if binary is not None:
        candidates.append(str(Path(os.path.realpath(binary)).with_name("python")))
    candidates += ["/usr/bin/python3", shutil.which("python3") or ""]
    found = [path for path in candidates if path and os.access(path, os.X_OK)]
    return list(dict.fromkeys(found))


@functools.cache
def network_sandbox() -> tuple[str, ...]:
    """The command prefix that runs a process without network, if this host allows."""
    unshare = shutil.which("unshare")
    if unshare is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            probe = subprocess.run(
                [unshare, "-rn", "true"], capture_output=True, timeout=5, check=False
            )
            if probe.returncode == 0:
                return (unshare, "-rn")
    logger.warning("No network namespace available: LibreOffice runs with network")
    return ()
