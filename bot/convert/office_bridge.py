"""A helper run by a Python that has LibreOffice's ``uno`` module (not our venv).

It starts one headless soffice listening on a private pipe, then converts
documents to PDF over UNO, one JSON request per line on stdin, one JSON answer per
line on stdout. Usage::

    python3 office_bridge.py SOFFICE PROFILE_URL PIPE_NAME CONNECT_TIMEOUT

The first line it writes is ``{"ready": true}`` or ``{"ready": false, "error": ...}``.
A request is ``{"src": PATH, "dest": PATH, "filter": NAME}``; the answer is
``{"ok": true}`` or ``{"ok": false, "error": TEXT}``. End of stdin stops soffice.
It imports nothing from chatprint: the interpreter running it is not ours.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.05
# com.sun.star.document.MacroExecMode.NEVER_EXECUTE, UpdateDocMode.NO_UPDATE
NEVER_EXECUTE = 0
NO_UPDATE = 0


def main(argv: list[str]) -> int:
    """Start soffice, serve requests until stdin closes, then stop soffice."""
    soffice, profile_url, pipe, timeout = argv[1], argv[2], argv[3], float(argv[4])
    try:
        uno = importlib.import_module("uno")
    except ImportError as exc:
        _say({"ready": False, "error": f"no uno module: {exc}"})
        return 1

    office = _start_office(soffice, profile_url, pipe)
    try:
        desktop = _connect(uno, office, pipe, timeout)
    except Exception as exc:  # the resolver raises UNO exception types
        _say({"ready": False, "error": f"cannot reach soffice: {exc}"})
        office.kill()
        return 1

    _say({"ready": True})
    _serve(uno, desktop, office)
    _stop(desktop, office)
    return 0


def _start_office(soffice: str, profile_url: str, pipe: str) -> subprocess.Popen[bytes]:
    """Launch soffice headless, listening on the named pipe only."""
    return subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation={profile_url}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--norestore",
            "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _connect(
    uno: Any, office: subprocess.Popen[bytes], pipe: str, timeout: float
) -> Any:
    """The Desktop service, polling the pipe until soffice accepts or gives up."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    url = f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = resolver.resolve(url)
            break
        except Exception:  # NoConnectException until the pipe is up
            if office.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(POLL_SECONDS)
    return context.ServiceManager.createInstanceWithContext(
        "com.sun.star.frame.Desktop", context
    )


def _serve(uno: Any, desktop: Any, office: subprocess.Popen[bytes]) -> None:
    """Answer one request per input line until stdin ends.

    A failed answer says whether soffice is still alive, so the parent knows
    whether to restart it.
    """
    for line in sys.stdin:
        request = json.loads(line)
        try:
            _convert(uno, desktop, request["src"], request["dest"], request["filter"])
        except Exception as exc:  # UNO errors: IOException, IllegalArgument...
            alive = office.poll() is None and "Disposed" not in type(exc).__name__
            _say({"ok": False, "alive": alive, "error": f"{type(exc).__name__}: {exc}"})
        else:
            _say({"ok": True})


def _convert(uno: Any, desktop: Any, src: str, dest: str, filter_name: str) -> None:
    """Load ``src`` hidden, read-only, macros off; store it as PDF at ``dest``."""
    load = _properties(
        uno,
        Hidden=True,
        ReadOnly=True,
        MacroExecutionMode=NEVER_EXECUTE,
        UpdateDocMode=NO_UPDATE,
    )
    document = desktop.loadComponentFromURL(Path(src).as_uri(), "_blank", 0, load)
    if document is None:
        raise ValueError("LibreOffice could not open the document")
    try:
        document.storeToURL(
            Path(dest).as_uri(), _properties(uno, FilterName=filter_name)
        )
    finally:
        document.close(True)


def _properties(uno: Any, **values: Any) -> tuple[Any, ...]:
    """A UNO PropertyValue sequence from keyword arguments."""
    result = []
    for name, value in values.items():
        prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        prop.Name, prop.Value = name, value
        result.append(prop)
    return tuple(result)


def _stop(desktop: Any, office: subprocess.Popen[bytes]) -> None:
    """Ask soffice to quit; the parent kills the process group if it lingers."""
    # The bridge drops while soffice exits: DisposedException is the normal end.
    with contextlib.suppress(Exception):
        desktop.terminate()
    office.wait()


def _say(message: dict[str, Any]) -> None:
    print(json.dumps(message), flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
