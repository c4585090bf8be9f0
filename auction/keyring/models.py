"""The deployment's keys in the database: sealed private parts, keyed fingerprints and the first published key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from auction.db.base import Base


class DeploymentKey(Base):
    """One row per purpose (see auction.keyring.rules): the first host to write a purpose wins, the others read it.

    ``value`` is AES-256-GCM ciphertext for a ``sealed:`` purpose, a keyed fingerprint (hex) for a ``fingerprint:``
    one, and the verifier key text for the published ledger key: never a secret in the clear.
    """

    __tablename__ = "deployment_keys"

    purpose: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
