"""Reading the app's OpenAPI document the way a client does: find an operation, check a body against it.

A small checker for the part of JSON Schema Litestar writes (``$ref``, ``type``, ``properties``/``required``,
``items``, ``oneOf``/``anyOf``, ``enum``/``const``, ``format: date-time``), so the tests need no validator
package. It is stricter than JSON Schema on one point on purpose: a key the schema does not list is a problem,
because "documented" means every field a client receives is described.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

JSON = "application/json"
METHODS = ("get", "post", "put", "patch", "delete")
REF_PREFIX = "#/components/schemas/"


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def json_schema(self, status: int) -> dict[str, Any] | None:
        """The documented JSON body for a status; None when the status or its JSON content is not documented."""
        response = self.spec.get("responses", {}).get(str(status))
        if response is None:
            return None
        content = response.get("content") or {}
        media = content.get(JSON)
        return None if media is None else dict(media.get("schema", {}))


class OpenApiDocument:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components: dict[str, Any] = document.get("components", {}).get("schemas", {})
        self.operations = [
            Operation(method, path, spec)
            for path, item in document["paths"].items()
            for method, spec in item.items()
            if method in METHODS
        ]
        # Static segments win over parameters, as in the router: /me/applications before /me/{x}.
        self._routes = sorted(
            ((_path_pattern(op.path), op) for op in self.operations), key=lambda route: route[1].path.count("{")
        )

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.components[str(node["$ref"]).removeprefix(REF_PREFIX)]
        return node

    def operation(self, method: str, path: str) -> Operation | None:
        path = path.rstrip("/") or "/"
        for pattern, operation in self._routes:
            if operation.method == method.lower() and pattern.fullmatch(path):
                return operation
        return None

    def is_concrete(self, node: dict[str, Any]) -> bool:
        """An object with named properties, or an array of such; never a free-form ``{}`` or bare dict."""
        node = self.resolve(node)
        alternatives = node.get("oneOf") or node.get("anyOf")
        if alternatives:
            named = [a for a in alternatives if self.resolve(a).get("type") != "null"]
            return bool(named) and all(self.is_concrete(a) for a in named)
        if node.get("type") == "array":
            return self.is_concrete(node.get("items") or {})
        return node.get("type") == "object" and bool(node.get("properties"))

    def free_form_parts(self, node: dict[str, Any], where: str = "$") -> list[str]:
        """Where inside a schema a value of any shape is allowed: ``{}``, or an object with no named fields."""
        seen: set[str] = set()

        def walk(node: dict[str, Any], where: str) -> list[str]:
            if "$ref" in node:
                if node["$ref"] in seen:
                    return []
                seen.add(node["$ref"])
                return walk(self.resolve(node), where)
            alternatives = node.get("oneOf") or node.get("anyOf")
            if alternatives:
                return [p for a in alternatives for p in walk(a, where)]
            kinds = node.get("type")
            if kinds is None and "enum" not in node and "const" not in node:
                return [where]
            found = [p for name, item in (node.get("properties") or {}).items() for p in walk(item, f"{where}.{name}")]
            if "items" in node:
                found += walk(node["items"], f"{where}[]")
            extra = node.get("additionalProperties")
            if isinstance(extra, dict):
                found += walk(extra, f"{where}.*") if extra else ([] if node.get("properties") else [where])
            return found

        return walk(node, where)

    def problems(self, value: Any, node: dict[str, Any], where: str = "$") -> list[str]:
        """Every way ``value`` differs from the schema ``node``, each with the JSON path where it does."""
        node = self.resolve(node)
        alternatives = node.get("oneOf") or node.get("anyOf")
        if alternatives:
            found = [self.problems(value, alternative, where) for alternative in alternatives]
            if any(not p for p in found):
                return []
            return [f"{where}: matches none of its alternatives: {'; '.join(p[0] for p in found)}"]
        if "const" in node and value != node["const"]:
            return [f"{where}: {value!r} is not the constant {node['const']!r}"]
        if "enum" in node and value not in node["enum"]:
            return [f"{where}: {value!r} is not one of {node['enum']}"]
        kinds = node.get("type")
        if kinds is None:
            return []
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is(value, kind) for kind in kinds):
            return [f"{where}: {value!r} is not {' or '.join(kinds)}"]
        if isinstance(value, str) and node.get("format") == "date-time" and not _is_time(value):
            return [f"{where}: {value!r} is not a date-time"]
        if isinstance(value, list):
            items = node.get("items") or {}
            return [p for i, item in enumerate(value) for p in self.problems(item, items, f"{where}[{i}]")]
        if isinstance(value, dict):
            return self._object_problems(value, node, where)
        return []

    def _object_problems(self, value: dict[str, Any], node: dict[str, Any], where: str) -> list[str]:
        properties: dict[str, Any] = node.get("properties") or {}
        required = node.get("required", [])
        found = [f"{where}: the required field {name!r} is missing" for name in required if name not in value]
        extra = node.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                found += self.problems(item, properties[key], f"{where}.{key}")
            elif isinstance(extra, dict) and extra:
                found += self.problems(item, extra, f"{where}.{key}")
            elif properties or extra is False:
                found.append(f"{where}: the field {key!r} is not documented")
        return found


def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template.rstrip("/") or "/")
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _is(value: Any, kind: str) -> bool:
    checks: dict[str, bool] = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }
    return checks.get(kind, False)


def _is_time(text: str) -> bool:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return moment.tzinfo is not None
