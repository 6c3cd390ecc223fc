"""Memory: the bot's peak resident memory while large PDFs stream through it."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import psutil

from bench.drivers import at_once, bot_on, one_by_one, wait_done
from bench.files import large_pdf
from bench.results import Figure, below
from bench.stage import Stage

MB = 1024 * 1024
RISE_TARGET_MB = 60.0
SAMPLE_SECONDS = 0.005


class PeakMeter:
    """The highest resident memory of a process from :meth:`reset` on.

    The kernel's high-water mark (``VmHWM``) is reset through ``clear_refs`` where
    that is allowed; a sampler runs as well, for kernels that refuse the reset.
    """

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._process = psutil.Process(pid)
        self._sampled = 0
        self._task: asyncio.Task[None] | None = None
        self._hwm_reset = False

    def resident(self) -> int:
        """The resident memory now, in bytes."""
        return int(self._process.memory_info().rss)

    def reset(self) -> None:
        """Start measuring the peak from now."""
        with contextlib.suppress(OSError):
            Path(f"/proc/{self._pid}/clear_refs").write_text("5")
            self._hwm_reset = True
        self._sampled = self.resident()
        self._task = asyncio.create_task(self._sample())

    def peak(self) -> int:
        """The highest resident memory since :meth:`reset`, in bytes."""
        if self._task is not None:
            self._task.cancel()
        peak = self._sampled
        if self._hwm_reset:
            peak = max(peak, self._high_water_mark())
        return peak

    async def _sample(self) -> None:
        while True:
            self._sampled = max(self._sampled, self.resident())
            await asyncio.sleep(SAMPLE_SECONDS)

    def _high_water_mark(self) -> int:
        status = Path(f"/proc/{self._pid}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024


async def memory(root: Path, count: int, size: int) -> list[Figure]:
    """``count`` PDFs of ``size`` bytes at once; the bot's peak rise over idle."""
    pdf = large_pdf(size)
    async with Stage(root / "memory") as stage, bot_on(stage) as bot:
        warm = stage.new_user()
        users = [stage.new_user() for _ in range(count)]
        await stage.link([warm, *users])
        await one_by_one(stage, warm, pdf, 2, prefix="warm", until_done=True)
        meter = PeakMeter(bot.pid)
        idle = meter.resident()
        meter.reset()
        await at_once(stage, users, pdf, prefix="big")
        await wait_done(stage, users)
        peak = meter.peak()
    return [
        below(
            "memory.peak_rise",
            (peak - idle) / MB,
            RISE_TARGET_MB,
            "MB",
            idle_mb=idle / MB,
            peak_mb=peak / MB,
            files=count,
            file_mb=size / MB,
        )
    ]
