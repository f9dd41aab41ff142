"""Short names for the statements of `settlement_run` and of the baseline, for the report of where
the time goes."""


def label(sql):
    """A short name for a statement of settlement_run (or of the baseline)."""
    text = " ".join(sql.split())
    known = [
        ("WITH due AS", "the one statement (CTE: postings, entries, debt netting)"),
        ("INSERT INTO payouts_settlementrun", "INSERT the run"),
        ("UPDATE payouts_settlementrun", "UPDATE the run's figures"),
        ('INSERT INTO "payouts_settlementrun"', "SettlementRun.objects.create"),
        ('UPDATE "payouts_settlementrun"', "run.save() (a chunk's figures and progress, the run finished)"),
        ('FROM "payouts_settlementrun" WHERE', "the open run of the day; the run locked for a chunk"),
        ("SELECT DISTINCT 'settlement:'", "_POST_SETTLEMENTS (due set, INSERT a posting per order)"),
        ("'withdrawable', due.amount", "_CREDIT_WITHDRAWABLE (due set again, INSERT withdrawable entries)"),
        ("'pending', -e.amount", "_DEBIT_PENDING (INSERT pending entries)"),
        ('FROM "ambassadors_ambassador" WHERE', "_range_locked (the chunk's ambassadors, SELECT … FOR UPDATE)"),
        ('AS "rebates"', "_ambassadors_due (pending entries per ambassador: the chunks' sizes)"),
        ('MAX("payouts_posting"."id")', "the highest posting id before a chunk"),
        ('FROM "referrals_quarterlybonus"', "_bonuses_due"),
        ("'bonus_settlement') AND e.bucket", "_SETTLED (what a chunk settled, per ambassador)"),
        ('AS "total" FROM "payouts_entry" WHERE', "_debt_net: debts of the ambassadors who settled"),
        ('INSERT INTO "payouts_posting"', "post(): INSERT posting (debt netting)"),
        ('INSERT INTO "payouts_entry"', "post(): INSERT entries (debt netting)"),
        ('FROM "payouts_posting" WHERE "payouts_posting"."key"', "post(): key posted before?"),
        ("SAVEPOINT", "post(): savepoints"),
    ]
    for needle, name in known:
        if needle in text:
            return name
    return text[:90]
