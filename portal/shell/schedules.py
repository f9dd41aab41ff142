"""Every scheduled job, as data; `manage.py setup_portal` makes django-q2's
schedules match it. Each job's function is also reachable from a command."""

from django.db import transaction
from django_q.models import Schedule

SCHEDULES = [
    # name, function, schedule type, minutes between runs (for MINUTES)
    ("flush referral visits", "referrals.tasks.flush_visits", Schedule.MINUTES, 1),
    # Events are applied as they arrive (the API wakes a worker); this catches any left waiting.
    ("process billing events", "referrals.tasks.process_events", Schedule.MINUTES, 1),
    ("expire associations", "referrals.tasks.expire_associations", Schedule.HOURLY, None),
    ("compute quarterly bonus", "referrals.tasks.compute_quarterly_bonus", Schedule.DAILY, None),
    # R9.3, R6.3: hold rebates past the suspect share, blacklist past the last refund step.
    ("scan risk", "referrals.tasks.scan_risk", Schedule.HOURLY, None),
    # R7: settle what is due today (Asia/Shanghai); safe to run again.
    ("settle due rebates", "payouts.tasks.settle_due_rebates", Schedule.DAILY, None),
    # R11.1: resolve withdrawals whose result is unknown (a timeout, a worker that died).
    ("reconcile withdrawals", "payouts.tasks.reconcile_withdrawals", Schedule.MINUTES, 5),
]


@transaction.atomic
def schedules_sync():
    """Create or update each schedule by name; remove ours that are no longer listed."""
    listed = {name for name, *_ in SCHEDULES}
    for name, func, schedule_type, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1},
        )
    ours = Schedule.objects.filter(func__regex=r"^(ambassadors|referrals|payouts)\.tasks\.")
    ours.exclude(name__in=listed).delete()
