"""API tokens (SPEC 8): random bearer tokens stored only as SHA-256 hashes, owned by a user, granting roles per org."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg

ROLES = ("editor", "approver", "admin")
ALL_ORGS = "*"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return "di_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    token_id: int
    user: str
    grants: dict[str, list[str]]

    def roles_for(self, org_id: int) -> set[str]:
        return set(self.grants.get(str(org_id), [])) | set(self.grants.get(ALL_ORGS, []))

    def covers(self, org_id: int) -> bool:
        return bool(self.roles_for(org_id))


async def create_token(
    conn: asyncpg.Connection | asyncpg.Pool, user: str, grants: dict[str, list[str]], description: str | None = None
) -> tuple[int, str]:
    for roles in grants.values():
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
    token = new_token()
    token_id = await conn.fetchval(
        "INSERT INTO dataimport.api_tokens (token_hash, user_name, grants, description) "
        "VALUES ($1, $2, $3, $4) RETURNING id",
        hash_token(token),
        user,
        grants,
        description,
    )
    return token_id, token


async def authenticate(conn: asyncpg.Connection | asyncpg.Pool, token: str) -> Principal | None:
    row = await conn.fetchrow(
        "SELECT id, user_name, grants FROM dataimport.api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        hash_token(token),
    )
    if row is None:
        return None
    return Principal(token_id=row["id"], user=row["user_name"], grants=row["grants"])


async def revoke_token(conn: asyncpg.Connection | asyncpg.Pool, token_id: int) -> bool:
    status = await conn.execute(
        "UPDATE dataimport.api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", token_id
    )
    return status.endswith(" 1")
