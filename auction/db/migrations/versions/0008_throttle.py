"""throttle: login and registration counters shared by every host; identity numbers in ASCII digits only

Revision ID: 0008_throttle
Revises: 0008_keys
Create Date: 2026-11-26 05:40:00.000000

``login_failures`` (one row per failure, per e-mail) gives way to ``throttle_counters`` (one row per bucket,
see auction/accounts/throttle_rules.py); the failures it holds are at most a lockout old and are not carried over.

Identity numbers: until now a number written in another script's digits (Arabic-Indic, fullwidth, ...) passed the
checks and was stored as a different string, so the unique index let the same person register again. Such numbers
are rewritten in ASCII digits here. Where that would give a number some other account already holds, the upgrade
is refused, naming the accounts (ids only, no numbers in the log): an operator decides which account is the
person's, as with 0007_identity's duplicates, because silently keeping the oldest could strand the one they use.
"""

from __future__ import annotations

import unicodedata

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision = "0008_throttle"
down_revision = "0008_keys"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ascii(number: str) -> str:
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in number)


def _rewrite_identity_numbers() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, identity_number FROM users WHERE identity_number IS NOT NULL ORDER BY id")
    ).all()
    holders: dict[str, list[int]] = {}
    for user_id, number in rows:
        holders.setdefault(_ascii(number), []).append(user_id)
    clashes = sorted(ids for ids in holders.values() if len(ids) > 1)
    if clashes:
        listed = "; ".join(", ".join(str(user_id) for user_id in ids) for ids in clashes)
        raise RuntimeError(
            f"{len(clashes)} personal/tax number(s) are held by more than one account once written in ASCII digits"
            f" (user ids, one group per number: {listed}); deactivate the extra accounts and clear their"
            " identity_number before upgrading"
        )
    for user_id, number in rows:
        if _ascii(number) != number:
            bind.execute(
                sa.text("UPDATE users SET identity_number = :number WHERE id = :id"),
                {"number": _ascii(number), "id": user_id},
            )


def upgrade() -> None:
    _rewrite_identity_numbers()
    op.create_table(
        "throttle_counters",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("hits", ID, nullable=False),
        sa.Column("window_ends", ID, nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_throttle_counters")),
    )
    with op.batch_alter_table("throttle_counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_throttle_counters_window_ends"), ["window_ends"], unique=False)
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_failed_at"))
        batch_op.drop_index(batch_op.f("ix_login_failures_email"))
    op.drop_table("login_failures")


def downgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", ID, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("failed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failures_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_failures_failed_at"), ["failed_at"], unique=False)
    with op.batch_alter_table("throttle_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttle_counters_window_ends"))
    op.drop_table("throttle_counters")
