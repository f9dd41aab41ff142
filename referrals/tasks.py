"""django-q2 jobs: thin, safe to run twice, each with a command to run it by hand."""

from .bonus import previous_quarter_bonus_compute
from .events import events_process
from .risk import risk_scan
from .services import associations_expire
from .visit_log import visit_log_flush


def flush_visits():
    return visit_log_flush()


def expire_associations():
    return associations_expire()


def compute_quarterly_bonus():
    return previous_quarter_bonus_compute()


def scan_risk():
    return risk_scan()


def process_events():
    return events_process()
