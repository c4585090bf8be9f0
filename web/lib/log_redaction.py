"""Secrets never reach the logs, debug logging included.

With debug on, every refused request is logged with its traceback, and pydantic's ValidationError prints the input
it refused (``input_value={'password': ...}``): a login's password, a commission member's passphrase or share, a
token. One structlog processor, last before the renderer of both the app's and the standard library's loggers,
blanks the values of secret-bearing names and every ``input_value`` wherever they appear in an event.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

import structlog
from litestar.logging import StructLoggingConfig

from web.lib.errors import log_server_errors

REDACTED = "[redacted]"
# Names whose values are secrets: what a person holds (passwords, passphrases, private keys, key shares) and what
# stands for them (tokens, session cookies, CSRF tokens).
SECRET_NAMES = "|".join(
    [
        *(r"password\w*", r"passphrase\w*", r"secret\w*", r"\w*private_key\w*", "seed", "shares?", r"\w*token"),
        *("authorization", "cookie", "set-cookie", "x-csrftoken", "api_key", "inspection_key"),
    ]
)
_NAME = re.compile(rf"^(?:{SECRET_NAMES})$", re.IGNORECASE)
_PAIR = re.compile(
    rf"""(?P<quote>["']?)\b(?P<name>{SECRET_NAMES})\b(?P=quote)(?P<sep>\s*[:=]\s*)"""
    r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|[^\s,;&)}\]]+)""",
    re.IGNORECASE,
)
_INPUT_VALUE = re.compile(r"input_value=.*?, input_type=")
# The same input as Litestar lists pydantic's errors: {'type': ..., 'loc': ..., 'input': {...}, 'url': ...}.
_INPUT_ITEM = re.compile(r"""(?P<quote>["'])input(?P=quote):\s*(?:\{[^}]*\}|\[[^\]]*\]|'(?:[^'\\]|\\.)*'|[^,}]+)""")
_BEARER = re.compile(r"\bBearer\s+\S+", re.IGNORECASE)


def redact_text(text: str) -> str:
    """The text with the values of secret-bearing names and pydantic's echoed inputs blanked."""
    text = _INPUT_VALUE.sub(f"input_value={REDACTED}, input_type=", text)
    text = _INPUT_ITEM.sub(lambda m: f"{m['quote']}input{m['quote']}: '{REDACTED}'", text)
    text = _BEARER.sub(f"Bearer {REDACTED}", text)
    return _PAIR.sub(lambda m: f"{m['quote']}{m['name']}{m['quote']}{m['sep']}'{REDACTED}'", text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and _NAME.match(k) else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_secrets(_: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: formats the exception into text first (so its words can be redacted too)."""
    if event.get("exc_info"):
        event = structlog.processors.format_exc_info(_, method, event)
    for key, value in list(event.items()):
        event[key] = REDACTED if _NAME.match(key) else _redact(value)
    return event


def _with_redaction(processors: list[Any]) -> list[Any]:
    *head, renderer = processors
    if isinstance(renderer, structlog.dev.ConsoleRenderer):
        # The exception arrives as text: a renderer that would format it again (with rich) is told not to.
        renderer = structlog.dev.ConsoleRenderer(colors=True, exception_formatter=structlog.dev.plain_traceback)
    return [*head, redact_secrets, renderer]


def logging_config() -> StructLoggingConfig:
    """Litestar's structlog configuration: the traceback of every 5xx (web.lib.errors.log_server_errors), and every
    event redacted before it is rendered."""
    config = StructLoggingConfig(log_exceptions="always", exception_logging_handler=log_server_errors)
    config.processors = _with_redaction(list(config.processors or []))
    standard = config.standard_lib_logging_config
    if standard is not None and "standard" in standard.formatters:
        formatter = standard.formatters["standard"]
        formatter["processors"] = _with_redaction(list(formatter.get("processors", [])))
    return config
