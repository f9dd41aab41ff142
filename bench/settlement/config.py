"""What the settlement bench's parts agree on: its databases, the settlement day, the data's
size and rate, and the tables its SQL writes to (checked against the models)."""

from datetime import date
from pathlib import Path

from bench import harness

ROOT = Path(__file__).resolve().parent.parent.parent
DATABASE = "portal_bench_settlement"
COPY = f"{DATABASE}_copy"
REDIS_DB = 11
DAY = date(2026, 12, 31)  # the settlement day: due orders settle on one of the 30 days up to it
AMBASSADORS = 10_000
TARGET = 1.2  # settlement, committed chunk by chunk, within 1.2x the time of the one statement
ESTIMATE_ROWS = 10_000_000  # what a run of this many due rebates would take, from the time per rebate
RATE = "0.2500"  # the rule set's member-first-purchase rate
SHANGHAI = "Asia/Shanghai"

SETUP = harness.Setup(database=DATABASE, port=0, redis_db=REDIS_DB)
COPY_SETUP = harness.Setup(database=COPY, port=0, redis_db=REDIS_DB)

TABLES = {
    "user": "portal_user",
    "ambassador": "ambassadors_ambassador",
    "profile": "referrals_customerprofile",
    "association": "referrals_association",
    "order": "referrals_order",
    "change": "referrals_rebatechange",
    "run": "payouts_settlementrun",
    "posting": "payouts_posting",
    "entry": "payouts_entry",
}


def tables():
    """The table names, from the models (checked against TABLES, which the SQL below uses)."""
    from ambassadors.models import Ambassador
    from payouts.models import Entry, Posting, SettlementRun
    from portal.kernel.models import User
    from referrals.models import Association, CustomerProfile, Order, RebateChange

    models = {
        "user": User,
        "ambassador": Ambassador,
        "profile": CustomerProfile,
        "association": Association,
        "order": Order,
        "change": RebateChange,
        "run": SettlementRun,
        "posting": Posting,
        "entry": Entry,
    }
    found = {name: model._meta.db_table for name, model in models.items()}
    assert found == TABLES, found
    return TABLES
