"""What ambassadors tells the apps above it, which it may not import (DESIGN.md).
Sent inside the transaction that made the change."""

from django.dispatch import Signal

# The ambassador was blacklisted (R6.3): kwargs `ambassador`, `at`.
ambassador_blacklisted = Signal()
