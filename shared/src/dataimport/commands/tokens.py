"""``dataimport tokens``: create, list and revoke API tokens; write the local dev token."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dataimport.db.pool import create_pool
from dataimport.settings import CommonSettings
from dataimport.tokens import ALL_ORGS, ROLES, authenticate, create_token, revoke_token


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tokens", help="API tokens")
    tsub = p.add_subparsers(dest="tokens_command", required=True)

    c = tsub.add_parser("create", help="create a token and print it once")
    c.add_argument("--user", required=True, help="user the token belongs to (shown as started_by/approved_by)")
    c.add_argument("--org", action="append", required=True, help="org id, or '*' for every org; repeatable")
    c.add_argument("--role", action="append", required=True, choices=ROLES, help="role; repeatable")
    c.add_argument("--description")
    c.set_defaults(func=run_create)

    r = tsub.add_parser("revoke", help="revoke a token by id")
    r.add_argument("token_id", type=int)
    r.set_defaults(func=run_revoke)

    ls = tsub.add_parser("list", help="list tokens (never their values)")
    ls.set_defaults(func=run_list)

    d = tsub.add_parser("dev", help="write a local token with every role on every org (local use only)")
    d.add_argument("--output", default=".data/dev-token")
    d.set_defaults(func=run_dev)


async def _pool():
    return await create_pool(CommonSettings().database_url, max_size=2)


async def run_create(args: argparse.Namespace) -> int:
    pool = await _pool()
    try:
        grants = {org: sorted(set(args.role)) for org in args.org}
        token_id, token = await create_token(pool, args.user, grants, args.description)
    finally:
        await pool.close()
    print(f"token id {token_id} for {args.user}: {token}")
    print("store it now: only its hash is kept")
    return 0


async def run_revoke(args: argparse.Namespace) -> int:
    pool = await _pool()
    try:
        done = await revoke_token(pool, args.token_id)
    finally:
        await pool.close()
    print("revoked" if done else "no active token with that id")
    return 0 if done else 1


async def run_list(args: argparse.Namespace) -> int:
    pool = await _pool()
    try:
        rows = await pool.fetch(
            "SELECT id, user_name, grants, created_at, revoked_at FROM dataimport.api_tokens ORDER BY id"
        )
    finally:
        await pool.close()
    print("id\tuser\tgrants\tcreated\tstate")
    for r in rows:
        state = f"revoked {r['revoked_at']:%Y-%m-%d}" if r["revoked_at"] else "active"
        grants = "; ".join(f"org {org}: {', '.join(roles)}" for org, roles in sorted(r["grants"].items()))
        print(f"{r['id']}\t{r['user_name']}\t{grants}\t{r['created_at']:%Y-%m-%d}\t{state}")
    return 0


async def run_dev(args: argparse.Namespace) -> int:
    out = Path(args.output)
    pool = await _pool()
    try:
        if out.exists() and await authenticate(pool, out.read_text().strip()):
            print(f"dev token unchanged: {out}")
            return 0
        _, token = await create_token(pool, "dev", {ALL_ORGS: list(ROLES)}, "local dev token (make up)")
    finally:
        await pool.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(token + "\n")
    os.chmod(out, 0o600)
    print(f"dev token written to {out}")
    return 0
