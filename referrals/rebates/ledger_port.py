"""The ledger as the rebate engine sees it: one port, filled in at start-up by the payouts
app (`payouts.apps`), since referrals may not import payouts (docs/ARCHITECTURE.md).

Every place that changes what an order or a bonus earns calls `rebate_ledger()` by name, in
the transaction that made the change, so a reader sees where money moves. The port holds no
rule: where the money goes is decided in `payouts.rules`."""

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Expression


class RebateLedger(Protocol):
    def rebate_post(self, *, order, change) -> None:
        """Bring the ledger to the order's current rebate; `change` (a RebateChange) is the cause."""

    def rebates_post(self, changes) -> None:
        """`rebate_post` for many (order, change) pairs at once, in one transaction."""

    def bonus_post(self, *, bonus) -> None:
        """Credit a quarterly bonus (R5.5)."""

    def ledgers_hold(self, ambassador_ids) -> None:
        """Take, in id order, the lock a rebate posting takes on each of these ambassadors' ledgers:
        a batch of events does so before applying anything, so it never waits on a settlement
        run while holding a lock the run waits for."""

    def order_settled(self) -> Expression:
        """A boolean expression, true where the ledger has settled the order `OuterRef("pk")`."""


_ledger: RebateLedger | None = None


def rebate_ledger_register(ledger: RebateLedger) -> None:
    global _ledger
    _ledger = ledger


def rebate_ledger() -> RebateLedger:
    """The registered ledger. Without one, money would change unrecorded: refuse."""
    if _ledger is None:
        raise ImproperlyConfigured("No rebate ledger is registered: the payouts app registers it when it is ready.")
    return _ledger
