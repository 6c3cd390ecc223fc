"""``python -m bench``: run the benchmarks, print a table, write the JSON report.

The exit status is 1 when a figure misses its target, 0 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import conversion, growth, memory, speed
from bench.results import Figure, table, write_json
from bench.stage import PROFILE_ENV

RESULTS = Path(__file__).with_name("results") / "latest.json"
Benchmark = Callable[[Path, argparse.Namespace], Awaitable[list[Figure]]]

BENCHMARKS: dict[str, Benchmark] = {
    "latency": lambda root, a: speed.latency(root, a.requests),
    "throughput": lambda root, a: speed.throughput(root, a.users),
    "memory": lambda root, a: memory.memory(root, a.large_files, a.large_size),
    "growth": lambda root, a: growth.growth(root, a.levels, a.sample),
    "office": lambda root, a: conversion.office(root, a.warm_files, a.cold_files),
    "photos": lambda root, a: conversion.photos(root, a.photos),
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks; return the exit status."""
    args = _parser().parse_args(argv)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        os.environ[PROFILE_ENV] = str(args.profile.resolve())
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    figures = asyncio.run(_run(args))
    print(table(figures))
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "profile")}
    write_json(figures, args.out, {**settings, "levels": list(args.levels)})
    print(f"\nwritten to {args.out}")
    return 1 if any(f.passed is False for f in figures) else 0


async def _run(args: argparse.Namespace) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="chatprint-bench-") as scratch:
        for name in args.only or list(BENCHMARKS):
            started = time.monotonic()
            print(f"running {name} ...", file=sys.stderr, flush=True)
            figures += await BENCHMARKS[name](Path(scratch) / name, args)
            print(f"  {name} took {time.monotonic() - started:.0f}s", file=sys.stderr)
    return figures


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS))
    parser.add_argument("--requests", type=int, default=200, help="latency requests")
    parser.add_argument("--users", type=int, default=500, help="throughput users")
    parser.add_argument("--large-files", type=int, default=20)
    parser.add_argument("--large-size", type=int, default=19_000_000)
    parser.add_argument(
        "--levels",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        default=(10, 100, 1000),
        help="queued jobs, e.g. 10,100,1000",
    )
    parser.add_argument("--sample", type=int, default=30, help="jobs timed per level")
    parser.add_argument("--warm-files", type=int, default=10)
    parser.add_argument("--cold-files", type=int, default=3)
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile",
        type=Path,
        help="folder for a pyinstrument report of the bot per benchmark "
        "(pip install -e '.[bench]'); the timings then include its overhead",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
