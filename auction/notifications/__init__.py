"""Notices to bidders and officers: queued in the event's transaction (``notify``), sent by a background sender.

The kinds of notice and what each needs are in ``auction.notifications.kinds.NOTICE_KINDS``.
"""

from auction.notifications.kinds import NOTICE_KINDS
from auction.notifications.outbox import lot_params, notify, notify_address, notify_officers

__all__ = ["NOTICE_KINDS", "lot_params", "notify", "notify_address", "notify_officers"]
