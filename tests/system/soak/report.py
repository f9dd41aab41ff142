"""The soak's figures: the load held, the faults survived, what the program did, the checks."""

import re
from collections import Counter
from pathlib import Path


def load_table(run, seconds):
    print(f"\nload held for {seconds:.0f} s (requests by kind; every request a new connection):")
    print("| kind | requests | req/s | p50 ms | p99 ms | answers | unexpected |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    total = 0
    for kind, count, rate, p50, p99, statuses, unexpected in run.stats.table(seconds):
        total += count
        print(f"| {kind} | {count:,} | {rate:.1f} | {p50:.0f} | {p99:.0f} | {statuses} | {unexpected} |")
    print(f"all requests: {total:,} ({total / seconds:.1f}/s)")


def event_figures(billing, seconds, load_ended_at, drain):
    from referrals.models import Event

    stored = Event.objects.count()
    during = Event.objects.filter(processed_at__lte=load_ended_at).count()
    retried = Event.objects.filter(attempts__gt=1).count()
    print(
        f"\nevents: {billing.sent:,} deliveries sent ({billing.sent / seconds:.1f}/s), answered 200: "
        f"{billing.answered_200:,} ({billing.answered_200 / seconds:.1f}/s accepted), 409: {billing.answered_409} "
        f"(an id sent again with another body), no answer: {billing.unanswered}"
    )
    print(
        f"        {stored:,} stored (repeats answered, not stored twice); applied by the workers during the load: "
        f"{during:,} ({during / seconds:.1f}/s), after it: {stored - during:,} in {drain['events_seconds']:.0f} s "
        f"of draining; applied after a failed attempt: {retried}"
    )


def program_figures(run, gateway):
    from django.db.models import Count, Sum

    from payouts.models import SettlementRun, Withdrawal
    from referrals.models import Association, AssociationRefusal, Order, RiskCase

    hows = Counter(how for _uid, _ambassador, how in run.referred)
    refusals = Counter(dict(AssociationRefusal.objects.values_list("reason").annotate(n=Count("pk"))))
    print(
        "\nreferral cookies applied: "
        + ", ".join(f"{how} {n}" for how, n in sorted(hows.items()))
        + "; refused: "
        + (", ".join(f"{reason} {n}" for reason, n in refusals.most_common()) or "none")
    )
    orders = Order.objects.count()
    reasons = Counter(dict(Order.objects.values_list("reason").annotate(n=Count("pk"))))
    rebated = Order.objects.filter(rebate__gt=0).aggregate(n=Count("pk"), total=Sum("rebate"))
    print(
        f"program: {run.counters.get('sign-ups', 0)} sign-ups and {run.counters.get('log-ins', 0)} customer log-ins "
        f"through a link, {Association.objects.count()} associations; {orders:,} orders: {rebated['n']} with a "
        f"rebate (¥{rebated['total'] or 0}), the others "
        + ", ".join(f"{reason} {n}" for reason, n in reasons.most_common() if reason)
    )
    runs = SettlementRun.objects.aggregate(
        n=Count("pk"), orders=Sum("orders_settled"), amount=Sum("amount_settled"), debt=Sum("debt_netted")
    )
    days = sorted({day for _at, day, _output in run.settlements}) or ["-"]
    print(
        f"settlement: {runs['n']} runs (dates {days[0]} to {days[-1]}, one date twice "
        f"at once, plus the scheduled run and the final one), {runs['orders'] or 0} orders settled, "
        f"¥{runs['amount'] or 0} settled, ¥{runs['debt'] or 0} of debt netted"
    )
    states = dict(Withdrawal.objects.values_list("state").annotate(n=Count("pk")))
    amounts = dict(Withdrawal.objects.values_list("state").annotate(total=Sum("amount")))
    forms = run.withdrawal_forms.values()
    twice = sum(1 for _a, _amount, statuses in forms if len(statuses) == 2)
    refused = sum(1 for _a, _amount, statuses in forms if statuses == [200])
    print(
        f"withdrawals: {len(run.withdrawal_forms)} forms submitted ({twice} twice at once, {refused} over the balance, "
        f"refused); " + ", ".join(f"{state} {n} (¥{amounts[state]})" for state, n in sorted(states.items()))
    )
    payments = gateway.payments.values()
    print(
        f"gateway: {len(payments)} payments (¥{sum((p.amount for p in payments), 0)}), money moved "
        f"{gateway.paid_count} times, {gateway.transfer_requests} transfer requests, "
        f"{len(gateway.requests) - gateway.transfer_requests} other requests; "
        f"reconciliation runs during the load: {len(run.reconciliations)}; "
        f"risk cases opened: {RiskCase.objects.count()}"
    )


def latencies():
    """How long withdrawals waited for a worker and for their answer, and the slowest django-q2
    jobs (from enqueued to done): a worker held by one long job makes every other job wait."""
    from django.db.models import Count, F, Max
    from django_q.models import Task

    from payouts.models import Withdrawal

    def seconds(values):
        values = sorted(value.total_seconds() for value in values if value is not None)
        if not values:
            return "-"
        return f"median {values[len(values) // 2]:.1f} s, max {values[-1]:.1f} s"

    rows = Withdrawal.objects.annotate(
        waited=F("submitted_at") - F("requested_at"), done=F("finished_at") - F("requested_at")
    ).values_list("waited", "done")
    print(
        f"withdrawals from request to submission: {seconds(w for w, _d in rows)}; "
        f"from request to final answer: {seconds(d for _w, d in rows)}"
    )
    jobs = (
        Task.objects.values_list("func")
        .annotate(n=Count("id"), longest=Max(F("stopped") - F("started")))
        .order_by("-longest")
    )
    failed = Task.objects.filter(success=False).count()
    print(
        "django-q2 jobs among the results it keeps (the last 250 successes, every failure), count and longest from "
        "enqueued to done: "
        + "; ".join(f"{func.rsplit('.', 1)[-1]} {n}, {longest.total_seconds():.0f} s" for func, n, longest in jobs)
        + f"; failed or timed out: {failed}"
    )


def faults(run):
    print("\nfaults survived:")
    for at, text in run.timeline:
        print(f"- t={at:.1f} s: {text}")


def log_errors(run_dir: Path):
    """ERROR lines in the portal processes' logs, by logger: each is a failure someone would be paged for."""
    counts = Counter()
    for path in sorted(run_dir.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line:
                logger = re.search(r'"logger": "([^"]+)"', line)
                counts[(path.stem, logger.group(1) if logger else "?")] += 1
    return counts


def checks(results):
    print("\nchecks:")
    for label, passed, detail in results:
        print(f"- [{'x' if passed else ' '}] {label}" + ("" if passed else f"\n      VIOLATION: {detail}"))
