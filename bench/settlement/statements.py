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
        ('UPDATE "payouts_settlementrun"', "run.save()"),
        ("SELECT DISTINCT 'settlement:'", "_POST_SETTLEMENTS (due set, INSERT a posting per order)"),
        ("'withdrawable', due.amount", "_CREDIT_WITHDRAWABLE (due set again, INSERT withdrawable entries)"),
        ("'pending', -e.amount", "_DEBIT_PENDING (INSERT pending entries)"),
        ("FOR UPDATE", "ambassadors_locked (SELECT … FOR UPDATE)"),
        ('SELECT DISTINCT "payouts_entry"."ambassador_id"', "_ambassadors_due (SELECT DISTINCT ambassador)"),
        ('FROM "referrals_quarterlybonus"', "_bonuses_due"),
        ('COALESCE(SUM("payouts_entry"."amount")', "amount_settled (SUM of the run's entries)"),
        ('AS "total" FROM "payouts_entry" INNER JOIN', "_debt_net: settled per ambassador"),
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
