"""Declarative base shared by every slice's models."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, Enum, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep Alembic migrations identical on PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit integers everywhere; SQLite's INTEGER is already 64-bit and only it auto-increments keys.
BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Base class of all tables; times are timezone-aware UTC on every engine."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTimeUTC(timezone=True), int: BigInt}  # noqa: RUF012


def text_enum(enum_class: type[enum.StrEnum], length: int = 32) -> Enum:
    """Store a StrEnum by value as plain text, so both engines and readers of a dump see the words."""
    return Enum(enum_class, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


def on_this_database(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's ``include_object`` for ``dialect``: leaves out what the models declare for another database only
    (``Index(...).ddl_if(dialect="postgresql")``, e.g. a trigram index), so comparing models and schema agrees on
    both engines."""

    def include(schema_object: Any, _name: str | None, _type: str, _reflected: bool, _compare_to: Any) -> bool:
        condition = getattr(schema_object, "_ddl_if", None)
        return condition is None or condition.dialect is None or condition.dialect == dialect

    return include
