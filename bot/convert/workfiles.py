"""Output files in a caller's work directory: unique names, removed on failure."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def output_path(work_dir: Path, suffix: str) -> Path:
    """A new, empty, private file in ``work_dir`` (made if missing) that nothing
    else will reuse."""
    work_dir.mkdir(mode=0o700, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="print-", suffix=suffix, dir=work_dir)
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def removed_on_error(*paths: Path) -> Iterator[None]:
    """Delete ``paths`` if the block raises, so no half-written output stays."""
    try:
        yield
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        raise
