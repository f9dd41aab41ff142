"""What referrals tells the apps above it, which it may not import (DESIGN.md).

Both are sent inside the transaction that made the change, so a receiver's
writes (the payouts ledger) commit or roll back with it."""

from django.dispatch import Signal

# An order's rebate was decided or changed: kwargs `order`, `change` (a RebateChange).
rebate_changed = Signal()

# A quarterly bonus was granted (R5.5): kwargs `bonus`.
bonus_granted = Signal()
