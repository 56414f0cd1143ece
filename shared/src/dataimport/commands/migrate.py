"""``dataimport migrate``: apply database migrations."""

from __future__ import annotations

import argparse

from dataimport.db.migrate import apply_migrations
from dataimport.settings import CommonSettings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="apply database migrations (idempotent)")
    p.set_defaults(func=run)


async def run(args: argparse.Namespace) -> int:
    applied = await apply_migrations(CommonSettings().database_url)
    print("migrations applied: " + (", ".join(applied) if applied else "none (up to date)"))
    return 0
