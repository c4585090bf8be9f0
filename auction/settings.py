"""Settings read once from the environment (prefix ``ACHYK_`` except ``DATABASE_URL``)."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from auction.kept_secret import kept_secret
from auction.ledger.keys import LedgerKeys, load_keys

# "xxxxxx" is no registered prefix: data published under it says so plainly until the deployment registers its own.
OCDS_PLACEHOLDER_PREFIX = "ocds-xxxxxx"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parts(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class Settings(BaseSettings):
    """Deployment configuration; every field can be set by an environment variable."""

    model_config = SettingsConfigDict(env_prefix="ACHYK_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the embedded database and keys live.")
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    replica_database_url: str = Field(
        default="",
        description="A streaming replica for lag-tolerant reads (catalog, ledger, open data); empty: the primary.",
    )
    secret_key: str = Field(
        default="", repr=False, description="Signs session cookies; generated on first run if empty."
    )
    debug: bool = False
    log_level: str = "INFO"
    log_json: bool = False
    upload_max_bytes: int = 10 * 1024 * 1024
    login_max_failures: int = 5
    login_lockout_seconds: int = 15 * 60
    login_max_unknown_device_failures: int = Field(
        default=20, ge=1, description="Failed logins per account from devices it never logged in on, per lockout."
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or CIDRs of the reverse proxies whose X-Forwarded-For is believed, comma-separated.",
    )
    secure_cookies: bool = False
    session_lifetime_seconds: int = Field(
        default=12 * 3600, gt=0, description="A signed-in session ends this long after login, however active."
    )
    session_idle_seconds: int = Field(default=2 * 3600, gt=0, description="A session unused this long ends.")
    ledger_origin: str = "achyk.example.kg/ledger"
    ledger_key_name: str = Field(default="", description="Signature key name; defaults to the origin.")
    ledger_signing_key: str = Field(default="", repr=False, description="Base64 Ed25519 seed (32 bytes).")
    ledger_pseudonym_key: str = Field(default="", repr=False, description="Base64 HMAC key (32 bytes).")
    key_encryption_key: str = Field(
        default="",
        repr=False,
        description="Base64 AES-256 key: keys not configured are kept in the database, sealed under it.",
    )
    ledger_max_merge_delay_seconds: int = 60
    ledger_batch_size: int = 256
    ledger_batch_interval_seconds: float = 0.25
    ledger_backlog_limit: int = 20_000
    webauthn_rp_id: str = Field(default="localhost", description="The passkeys' relying party: the site's host.")
    webauthn_origin: str = Field(default="", description="The origin passkeys are made on; derived if empty.")
    witnesses: str = Field(
        default="",
        description="Independent witnesses: '<witness vkey> <add-checkpoint URL prefix>' pairs separated by ';'.",
    )
    witness_quorum: int | None = Field(default=None, ge=0, description="Cosignatures needed; default a majority.")
    witness_grace_seconds: int = Field(default=10, ge=1, description="How late a witness may vouch for a moment.")
    witness_timeout_seconds: float = Field(default=2.0, gt=0, description="How long to wait for one witness.")
    witness_refresh_seconds: float = Field(
        default=30.0, gt=0, description="How often an idle log's checkpoint is re-signed and cosigned again."
    )
    run_background_jobs: bool = Field(default=True, description="Integrator and auction timers in this process.")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="The site's address as readers reach it, for links in notices."
    )
    smtp_host: str = Field(default="", description="SMTP server for notices; empty: e-mails go to the mail drop.")
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_user: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_from: str = Field(default="Achyk <no-reply@achyk.example.kg>", description="The From of every notice.")
    smtp_security: str = Field(default="starttls", pattern="^(starttls|tls|none)$")
    mail_drop_dir: str = Field(
        default="", description="Without SMTP, e-mails are written here; default <data dir>/mail."
    )
    notify_webhook_url: str = Field(
        default="", description="SMS and Telegram gateway: notices are POSTed here as JSON; empty: no SMS/Telegram."
    )
    notify_poll_seconds: float = Field(default=2.0, gt=0, description="How often the sender looks for due notices.")
    ocds_prefix: str = Field(
        default=OCDS_PLACEHOLDER_PREFIX,
        pattern=r"^ocds-[a-z0-9]{6}(-[A-Za-z0-9.]+)*$",
        description="The ocid prefix the Open Contracting Partnership registered for this deployment (docs/ocds.md).",
    )
    ocds_license: str = Field(
        default="https://creativecommons.org/publicdomain/zero/1.0/",
        description="The URL of the licence the open data (OCDS feeds and bulk files) is published under.",
    )
    password_reset_minutes: int = Field(default=60, ge=5, le=24 * 60, description="How long a reset link works.")
    # Which secret settings were filled from the database's sealed set (ACHYK_KEY_ENCRYPTION_KEY).
    _from_database: frozenset[str] = PrivateAttr(default=frozenset())

    @field_validator("database_url", "replica_database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("a database URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for part in _parts(value):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"ACHYK_TRUSTED_PROXIES: {part!r} is not an IP address or CIDR") from None
        return value

    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """The proxies allowed to say who the client is; none by default, so X-Forwarded-For is ignored."""
        return tuple(ipaddress.ip_network(part, strict=False) for part in _parts(self.trusted_proxies))

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'achyk.sqlite3').resolve()}"

    @property
    def resolved_webauthn_origin(self) -> str:
        """The origin browsers report in passkey ceremonies: https://<rp id>, or the dev server on localhost."""
        if self.webauthn_origin:
            return self.webauthn_origin.rstrip("/")
        if self.webauthn_rp_id == "localhost":
            return "http://localhost:8000"
        return f"https://{self.webauthn_rp_id}"

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def missing_shared_secrets(self) -> list[str]:
        """The secret settings a shared database needs and that are not set (none for the embedded one).

        Processes on several hosts share a PostgreSQL database, so they must sign sessions and the ledger with
        the same keys: generating them per data directory would give each host its own.
        """
        if self.is_embedded:
            return []
        return self._unconfigured_secrets()

    @property
    def keys_from_database(self) -> frozenset[str]:
        """The secret settings this process took from the database's sealed set rather than configuration."""
        return self._from_database

    def _unconfigured_secrets(self) -> list[str]:
        return [name for name, field in _SECRET_FIELDS.items() if not getattr(self, field)]

    def resolved_secret_key(self) -> str:
        """The configured secret, or (embedded database only) one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        self._refuse_missing_shared_secrets()
        if self.secret_key:  # from the database's sealed set
            return self.secret_key
        return kept_secret(self.data_dir / "secret_key", lambda: secrets.token_urlsafe(48))

    def ledger_keys(self) -> LedgerKeys:
        """The log's keys (see auction.ledger.keys); on the embedded database, generated when not configured."""
        self._refuse_missing_shared_secrets()
        return load_keys(
            origin=self.ledger_origin,
            key_name=self.ledger_key_name,
            signing_seed=self.ledger_signing_key,
            pseudonym_seed=self.ledger_pseudonym_key,
            data_dir=self.data_dir,
        )

    def prepare_secrets(self) -> None:
        """Resolve every secret now, before worker processes fork, so that they all read the same ones."""
        self.resolved_secret_key()
        self.ledger_keys()

    def _refuse_missing_shared_secrets(self) -> None:
        if self.key_encryption_key and (unconfigured := self._unconfigured_secrets()):
            self._take_secrets_from_database(unconfigured)
            return
        missing = self.missing_shared_secrets()
        if missing:
            raise SharedSecretsMissing(missing)

    def _take_secrets_from_database(self, names: list[str]) -> None:
        """Fill the unconfigured secrets from the deployment's sealed set (made by the first host); configured
        ones win."""
        from auction.keyring.service import shared_secrets_blocking

        stored = shared_secrets_blocking(self.resolved_database_url, self.key_encryption_key)
        for name in names:
            setattr(self, _SECRET_FIELDS[name], stored[name])
        self._from_database = frozenset(names)


# The secret settings a deployment shares, by environment variable.
_SECRET_FIELDS = {
    "ACHYK_SECRET_KEY": "secret_key",
    "ACHYK_LEDGER_SIGNING_KEY": "ledger_signing_key",
    "ACHYK_LEDGER_PSEUDONYM_KEY": "ledger_pseudonym_key",
}


class SharedSecretsMissing(ValueError):
    """A shared (PostgreSQL) database with keys left to be generated: every host would make its own."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            "DATABASE_URL names a database that several processes and hosts share, so they must share their keys "
            f"too; set {', '.join(missing)} to the same values everywhere, or set ACHYK_KEY_ENCRYPTION_KEY to keep "
            "them in the database (see the README's Configuration). "
            "A 32-byte key in base64: "
            "python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())'"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
