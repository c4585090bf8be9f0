"""Validating OCDS output offline: the shipped OCDS 1.1.5 schemas, the bids extension merged in, JSON Schema Draft 4.

The package schemas refer to the release schema by its URL; a referencing registry answers that URL with the local,
extended release schema, so nothing is fetched. The standard tool, libcoveocds, is pointed at the same files.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zipfile import ZipFile

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from auction.opendata.schema import BIDS, CORE, RELEASE_SCHEMA_URL, package_schema, release_schema


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


@contextmanager
def standard_tool(workdir: Path) -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    """libcoveocds (the library behind the OCDS Data Review Tool) run offline on a release package.

    It reads the standard from a ZIP laid out like the standard's repository, which it accepts as a file:// URL, and
    extensions only over HTTP(S): the shipped bids extension is served on loopback and the package names that URL.
    Returns the tool's report (`validation_errors`, `additional_closed_codelist_values`, …).
    """
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    standard = workdir / "standard-1__1__5.zip"
    with ZipFile(standard, "w") as zipped:
        zipped.writestr("standard-1__1__5/", "")
        for path in sorted(CORE.rglob("*")):
            if path.is_file():
                zipped.write(path, f"standard-1__1__5/schema/{path.relative_to(CORE)}")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(BIDS)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    extension = f"http://127.0.0.1:{server.server_address[1]}/extension.json"

    def review(package: dict[str, Any]) -> dict[str, Any]:
        config = LibCoveOCDSConfig()
        config.config["standard_zip"] = standard.as_uri()
        config.config["context"] = "api"
        output = workdir / f"cove-{len(list(workdir.iterdir()))}"
        output.mkdir()
        report: dict[str, Any] = ocds_json_output(
            str(output),
            json_data={**package, "extensions": [extension]},
            schema_version="1.1",
            convert=False,
            lib_cove_ocds_config=config,
        )
        return report

    try:
        yield review
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
