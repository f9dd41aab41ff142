"""django-q2 jobs: thin, safe to run twice, each with a command to run it by hand."""

from django_q.tasks import async_task

from .attribution.services import associations_expire
from .attribution.visit_log import visit_log_flush
from .billing.services import events_process
from .rebates.bonus import previous_quarter_bonus_compute
from .risk.services import risk_scan


def flush_visits():
    return visit_log_flush()


def expire_associations():
    return associations_expire()


def compute_quarterly_bonus():
    return previous_quarter_bonus_compute()


def scan_risk():
    return risk_scan()


# Events applied by one task before the rest go to the back of the queue.
EVENTS_PER_TASK = 100


def process_events():
    """A batch, then a new task for the rest: a burst of billing events must not hold every
    worker while withdrawals and scheduled jobs wait (the soak test saw 30–60 s)."""
    applied = events_process(limit=EVENTS_PER_TASK)
    if applied >= EVENTS_PER_TASK:
        async_task("referrals.tasks.process_events")
    return applied
