"""The ``chatprint`` command: run the bot, the demo, or the Epson Connect simulator."""

from __future__ import annotations

import argparse
import asyncio
import sys
from argparse import SUPPRESS
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.errors import ChatprintError
from bot.logs import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; return the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        configure_logging(args.log_level)
        return int(asyncio.run(args.handler(args)))
    except ChatprintError as exc:
        print(f"chatprint: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"chatprint: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatprint",
        description="Print what people send in a chat on their own Epson printer.",
    )
    parser.add_argument(
        "--version", action="version", version=f"chatprint {__version__}"
    )
    parser.set_defaults(command=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = _add_command(
        commands, "run", "run the bot with the configured chat platforms"
    )
    run.set_defaults(handler=_run)

    demo = _add_command(
        commands, "demo", "try chatprint locally: simulator + console chat"
    )
    demo.add_argument(
        "--sample", action="store_true", help="link and print a shipped sample"
    )
    demo.add_argument(
        "--auto-approve", action="store_true", help="approve the link at once"
    )
    demo.add_argument(
        "--output",
        type=Path,
        default=Path("chatprint-demo-output"),
        help="where printed files and page-1 previews go",
    )
    demo.add_argument(
        "--data",
        type=Path,
        default=Path("chatprint-demo-data"),
        help="the demo's database, secret key and files in flight",
    )
    # Seconds per simulated job step; tests slow the printer to interrupt a job.
    demo.add_argument("--print-seconds", type=float, default=0.3, help=SUPPRESS)
    # A readable transcript: only warnings and errors reach the log.
    demo.set_defaults(handler=_demo, log_level="WARNING")

    sim = _add_command(
        commands, "simulator", "serve a local Epson Connect for development"
    )
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument(
        "--auto-approve", action="store_true", help="skip the consent page"
    )
    sim.add_argument(
        "--print-seconds", type=float, default=2.0, help="time per job step"
    )
    sim.add_argument("--output", type=Path, default=Path("simulator-output"))
    sim.set_defaults(handler=_simulator)

    rotate = _add_command(
        commands, "rotate-key", "re-encrypt stored tokens under a new key"
    )
    rotate.add_argument("--new-key-env", default="CHATPRINT_NEW_SECRET_KEY")
    rotate.set_defaults(handler=_rotate_key)
    return parser


def _add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    command = commands.add_parser(name, help=text, description=text)
    command.set_defaults(command=name)
    command.add_argument("--config", type=Path, default=None, help="TOML file")
    command.add_argument(
        "--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR"
    )
    return command


async def _run(args: argparse.Namespace) -> int:
    from bot.app import run_bot
    from bot.config import load_config

    return await run_bot(load_config(args.config))


async def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return await run_demo(args)


async def _simulator(args: argparse.Namespace) -> int:
    from bot.epson.simulator import SimulatorSettings, serve_forever

    settings = SimulatorSettings(
        auto_approve=args.auto_approve,
        step_seconds=args.print_seconds,
        output_dir=args.output,
    )
    await serve_forever(settings, args.host, args.port)
    return 0


async def _rotate_key(args: argparse.Namespace) -> int:
    from bot.app import rotate_key
    from bot.config import load_config

    return await rotate_key(load_config(args.config), args.new_key_env)
