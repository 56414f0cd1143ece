"""The Customer profile (pure domain; the PostgreSQL adapter is ``pg_store``, imported on its own)."""

from dataimport.profiles.customer.prepare import PreparedChunk
from dataimport.profiles.customer.profile import CustomerProfile
from dataimport.profiles.customer.state import CustomerState

__all__ = ["CustomerProfile", "CustomerState", "PreparedChunk"]
