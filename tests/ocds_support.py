"""Validating OCDS output offline: the shipped OCDS 1.1.5 schemas, the bids extension merged in, JSON Schema Draft 4.

The package schemas refer to the release schema by its URL; a referencing registry answers that URL with the local,
extended release schema, so nothing is fetched.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from auction.opendata.schema import RELEASE_SCHEMA_URL, package_schema, release_schema


def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(release_schema(), default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource(RELEASE_SCHEMA_URL, resource)
    return registry


def problems(instance: Any, schema: dict[str, Any]) -> list[str]:
    validator = Draft4Validator(schema, registry=_registry(), format_checker=Draft4Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def release_problems(release: dict[str, Any]) -> list[str]:
    return problems(release, release_schema())


def release_package_problems(package: dict[str, Any]) -> list[str]:
    return problems(package, package_schema("release-package-schema.json"))


def record_package_problems(package: dict[str, Any]) -> list[str]:
    return problems(package, package_schema("record-package-schema.json"))


def text_of(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
