"""Imports every slice's models so that the metadata is complete for Alembic and tests."""

from __future__ import annotations

from auction.accounts.models import (
    ApiToken,
    BidderKey,
    PasskeyChallenge,
    PasswordReset,
    ThrottleCounter,
    User,
    WebSession,
)
from auction.admin.models import AdminAction
from auction.bidding.models import Application, AuctionClock, Award, Bid, CeremonyMessage, CommissionCeremony
from auction.contracts.models import Contract, ContractPayment, DepositRefund, InstalmentPlan
from auction.db.base import Base
from auction.keyring.models import DeploymentKey
from auction.ledger.models import (
    ChainHead,
    IntegratorLease,
    LedgerEntry,
    PendingEntry,
    SignedCheckpoint,
    TreeNode,
    TreeState,
)
from auction.lots.models import Lot, LotFile, LotVersion
from auction.municipalities.models import Municipality
from auction.notifications.models import NotificationPreference, OutboxMessage
from auction.watching.models import SavedSearch, SearchMatch, Watch, WatchEvent

__all__ = [
    "AdminAction",
    "ApiToken",
    "Application",
    "AuctionClock",
    "Award",
    "Base",
    "Bid",
    "BidderKey",
    "CeremonyMessage",
    "ChainHead",
    "CommissionCeremony",
    "Contract",
    "ContractPayment",
    "DeploymentKey",
    "DepositRefund",
    "InstalmentPlan",
    "IntegratorLease",
    "LedgerEntry",
    "Lot",
    "LotFile",
    "LotVersion",
    "Municipality",
    "NotificationPreference",
    "OutboxMessage",
    "PasskeyChallenge",
    "PasswordReset",
    "PendingEntry",
    "SavedSearch",
    "SearchMatch",
    "SignedCheckpoint",
    "ThrottleCounter",
    "TreeNode",
    "TreeState",
    "User",
    "Watch",
    "WatchEvent",
    "WebSession",
]
