"""What the domain needs to know about an existing customer (the store answers these)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CustomerState:
    user_id: int
    mobile: str | None = None
    email: str | None = None
    external_id: str | None = None
    loyalty_type: str | None = None
    slab: str | None = None
    status_label: str | None = None
