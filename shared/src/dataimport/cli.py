"""``dataimport`` command line: operational commands shared by every deployment.

Each sub-command lives in ``dataimport.commands.<module>`` and exposes ``register(subparsers)`` which adds its
parser and sets ``func`` (a callable taking the parsed args and returning an exit code; async callables are
run with ``asyncio.run``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import sys

COMMAND_MODULES = [
    "migrate",  # apply database migrations
    "topics",  # create Kafka topics
    "tokens",  # create / revoke / list API tokens, write the dev token
    "load",  # load a CSV or Parquet file into import_<org>.<table>
    "demo_data",  # generate the demo source table
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataimport", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"dataimport.commands.{name}")
        except ModuleNotFoundError as exc:  # a command whose module is not written yet
            if exc.name == f"dataimport.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result = args.func(args)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
