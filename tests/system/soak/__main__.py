"""`python -m tests.system.soak --short | --long`: see the package's docstring."""

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from datetime import timedelta
from pathlib import Path

from . import drivers, faults, prepare, report
from .billing import Billing
from .browser import Stats
from .checks import all_checks
from .shape import DATABASE, REDIS_DB, Shape

FORMS = {
    "short": {
        "duration": 80,
        "ambassadors": 5,
        "established": 100,
        "returning": 40,
        "link_every": 0.1,
        "sign_up_every": 4.0,
        "log_in_every": 6.0,
        "order_every": 1.0,
        "withdraw_every": 1.5,
        "reconcile_every": 12,
        "settle_step": 2,
        "drain_budget": 150,
        "progress_every": 20,
    },
    "long": {
        "duration": 960,
        "ambassadors": 8,
        "established": 600,
        "returning": 250,
        "link_every": 0.06,
        "sign_up_every": 4.0,
        "log_in_every": 5.0,
        "order_every": 1.0,
        "withdraw_every": 1.5,
        "reconcile_every": 30,
        "settle_step": 1,
        "drain_budget": 300,
        "progress_every": 60,
    },
}
SETTLE_DAYS_BACK = 20  # established rebates fall due over the 20 days before today
QUIET = 15  # seconds without change before a withdrawal whose worker died is reconciled as stale


def main():
    parser = argparse.ArgumentParser(prog="python -m tests.system.soak", description=__doc__)
    form = parser.add_mutually_exclusive_group(required=True)
    form.add_argument("--short", action="store_const", const="short", dest="form", help="CI: about 80 s of load")
    form.add_argument("--long", action="store_const", const="long", dest="form", help="16 minutes of load")
    parser.add_argument("--seed", type=int, default=None, help="the random choices of a run, to repeat them")
    parser.add_argument("--duration", type=float, default=None, help="seconds of load, instead of the form's")
    options = parser.parse_args()
    config = dict(FORMS[options.form])
    if options.duration:
        config["duration"] = options.duration
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(10**6)

    began = time.monotonic()
    run_dir = Path(tempfile.mkdtemp(prefix="portal-soak-"))
    print(
        f"soak --{options.form} (seed {seed}): the production shape on 127.0.0.1, PostgreSQL database {DATABASE} "
        f"(recreated), Redis db {REDIS_DB}, keys and logs in {run_dir}",
        flush=True,
    )
    shape = Shape(run_dir)
    passed = False
    try:
        passed = soak(shape, config, seed, long=options.form == "long")
    finally:
        print("stopping the shape...", flush=True)
        shape.stop()
    print(f"\ntotal time: {time.monotonic() - began:.0f} s")
    if passed:
        shutil.rmtree(run_dir, ignore_errors=True)
        print(f"SOAK PASSED ({options.form}, seed {seed})")
        return 0
    print(f"SOAK FAILED ({options.form}, seed {seed}): see the violations above; logs kept in {run_dir}")
    return 1


def soak(shape, config, seed, *, long):
    rng = random.Random(seed)
    started = time.monotonic()
    environment = shape.start_gateway()
    shape.recreate()
    prepare.django_setup(environment, shape.run_dir / "soak-process.log")
    rule_set, ambassadors, customers = prepare.prepare(
        ambassadors=config["ambassadors"], established=config["established"], returning=config["returning"], rng=rng
    )
    shape.start_web()
    for number in (1, 2):
        shape.start_cluster(number)
    print(
        f"setup: {time.monotonic() - started:.0f} s — migrated, setup_portal, collectstatic; rule set {rule_set} "
        f"published; {len(ambassadors)} verified ambassadors with Alipay bound; {config['established']} established "
        f"and {config['returning']} returning customers; gunicorn (2 workers) on :{shape.port}, 2 qclusters, "
        f"fake Alipay on {shape.gateway.url}",
        flush=True,
    )

    stats = Stats()
    duration = config["duration"]
    billing = Billing(
        port=shape.port,
        secret=environment["EVENTS_SIGNING_SECRET"],
        stats=stats,
        rng=random.Random(f"{seed}-billing"),
        duration=duration,
    )
    run = drivers.Run(
        shape=shape,
        stats=stats,
        billing=billing,
        ambassadors=ambassadors,
        customers=customers,
        duration=duration,
        seed=seed,
    )
    sessions = drivers.ambassador_sessions(run)
    drivers.billing_start(run, random.Random(f"{seed}-established"))
    load_ended_at, load_seconds = _load(run, config, sessions, long=long)

    from django.utils import timezone

    drain = _drain(run, config["drain_budget"])
    today = timezone.localdate()
    run.manage("settle_rebates", "--date", today.isoformat())  # what arrived after the last run

    print("\nchecking...", flush=True)
    results = all_checks(run, billing, shape.gateway, sessions, today)
    report.load_table(run, load_seconds)
    report.event_figures(billing, load_seconds, load_ended_at, drain)
    report.program_figures(run, shape.gateway)
    report.latencies()
    report.faults(run)
    print(
        f"\ndrain: {drain['seconds']:.0f} s after the load (events applied within {drain['events_seconds']:.0f} s); "
        f"reconciliation runs: {drain['reconciled']}, of which as after {drain['stale_minutes']} minutes "
        f"(a worker died mid-withdrawal): {drain['forced']}"
    )
    errors = report.log_errors(shape.run_dir)
    print(
        "portal logs: "
        + (
            ", ".join(f"{n} ERROR lines from {logger} ({log})" for (log, logger), n in errors.items())
            or "no ERROR line"
        )
    )
    report.checks(results)
    return all(passed for _label, passed, _detail in results)


def _thread(run, name, target, *args):
    def guarded():
        try:
            target(*args)
        except Exception:
            run.problem(f"the {name} driver crashed: {traceback.format_exc(limit=3)}")
            run.stop.set()

    thread = threading.Thread(target=guarded, name=name, daemon=True)
    thread.start()
    return thread


def _load(run, config, sessions, *, long):
    from django.utils import timezone

    duration = config["duration"]
    today = timezone.localdate()
    step = config["settle_step"]
    days = [today - timedelta(days=back) for back in range(SETTLE_DAYS_BACK, -1, -step)]
    if days[-1] != today:
        days.append(today)
    times = [duration * (0.05 + 0.75 * index / max(1, len(days) - 1)) for index in range(len(days))]

    print(f"\nload: {duration:.0f} s", flush=True)
    run.started = time.monotonic()
    senders = [_thread(run, f"events sender {n}", run.billing.sender, run.stop, run.flush) for n in (1, 2)]
    others = [
        _thread(run, "link visitors", drivers.link_visits, run, config["link_every"]),
        _thread(run, "sign-ups and log-ins", drivers.arrivals, run, config["sign_up_every"], config["log_in_every"]),
        _thread(run, "billing orders", drivers.billing_stream, run, config["order_every"]),
        _thread(run, "withdrawals", drivers.withdrawals, run, sessions, config["withdraw_every"]),
        _thread(run, "settlement", drivers.settlements, run, days, times),
        _thread(run, "reconciliation", drivers.reconciliations, run, config["reconcile_every"]),
    ]
    steps = faults.plan(run, long=long)
    next_progress = config["progress_every"]
    while run.now() < duration and not run.stop.is_set():
        if steps and steps[0][0] <= run.now():
            steps.pop(0)[1]()
            continue
        if run.now() >= next_progress:
            _progress(run)
            next_progress += config["progress_every"]
        upcoming = min([duration, next_progress] + ([steps[0][0]] if steps else []))
        run.stop.wait(max(0.05, min(upcoming - run.now(), 1.0)))
    run.stop.set()
    for thread in run.fault_threads:  # a killed cluster is restarted before anything else
        thread.join()
    for thread in others:
        thread.join()
    run.flush.set()  # billing sends what it still holds, due or not
    for thread in senders:
        thread.join()
    load_seconds = run.now()
    run.note(f"load stopped; {run.billing.sent:,} event deliveries sent")
    return timezone.now(), load_seconds


def _progress(run):
    from django.db.models import Count

    from payouts.models import Withdrawal
    from referrals.models import Event

    events = dict(Event.objects.values_list("status").annotate(n=Count("pk")))
    withdrawals = dict(Withdrawal.objects.values_list("state").annotate(n=Count("pk")))
    counters = run.counters
    print(
        f"  t={run.now():6.1f}s  clicks {counters.get('link clicks', 0)}, sign-ups {counters.get('sign-ups', 0)}, "
        f"log-ins {counters.get('log-ins', 0)}; events sent {run.billing.sent}, stored {sum(events.values())}, "
        f"applied {events.get('processed', 0)}; withdrawals {withdrawals or 'none yet'}",
        flush=True,
    )


def _drain(run, budget):
    """Let the workers finish: every event applied, every click flushed, every withdrawal resolved.
    Reconciliation runs as finance would run it; a withdrawal whose worker died stays `requested`
    or `submitted` until it is STALE_AFTER old, so once nothing has moved for QUIET seconds the
    soak reconciles as the schedule would that much later (the service's `now`)."""
    import redis
    from django.conf import settings
    from django.utils import timezone

    from payouts.models import Withdrawal
    from payouts.rules import STALE_AFTER
    from payouts.withdrawals import UNSENT_AFTER, withdrawals_reconcile
    from referrals.attribution.visit_log import BUFFER_KEY, PROCESSING_KEY, SEND_INTERVAL
    from referrals.models import Event

    run.shape.gateway.stall(0)
    time.sleep(2 * SEND_INTERVAL)  # the web processes send their last clicks to Redis
    client = redis.Redis.from_url(settings.REDIS_URL)
    open_states = [Withdrawal.State.REQUESTED, Withdrawal.State.SUBMITTED, Withdrawal.State.UNKNOWN]
    started = time.monotonic()
    events_seconds, last_open, last_change = None, None, started
    reconciled = forced = 0
    while True:
        elapsed = time.monotonic() - started
        waiting = Event.objects.filter(status=Event.Status.RECEIVED).count()
        if not waiting and events_seconds is None:
            events_seconds = elapsed
        still_open = sorted(Withdrawal.objects.filter(state__in=open_states).values_list("pk", "state"))
        clicks = client.llen(BUFFER_KEY) + client.llen(PROCESSING_KEY)
        if not waiting and not still_open and not clicks:
            break
        if still_open != last_open:
            last_open, last_change = still_open, time.monotonic()
        if elapsed > budget:
            run.problem(
                f"not drained {budget} s after the load: {waiting} events waiting, withdrawals open {still_open}, "
                f"{clicks} clicks still in Redis"
            )
            break
        if clicks:
            run.manage("flush_visits")
        if any(state == Withdrawal.State.UNKNOWN for _pk, state in still_open):
            run.manage("reconcile_withdrawals")
            reconciled += 1
        elif still_open and time.monotonic() - last_change > QUIET:
            later = timezone.now() + max(STALE_AFTER, UNSENT_AFTER) + timedelta(minutes=1)
            asked = withdrawals_reconcile(now=later)
            reconciled += 1
            forced += 1
            run.note(f"reconciled as at {later:%H:%M} (stale after the worker died): {still_open}, {asked} asked about")
            last_change = time.monotonic()
        time.sleep(2)
    seconds = time.monotonic() - started
    return {
        "seconds": seconds,
        "events_seconds": events_seconds if events_seconds is not None else seconds,
        "reconciled": reconciled,
        "forced": forced,
        "stale_minutes": int(max(STALE_AFTER, UNSENT_AFTER).total_seconds() // 60),
    }


if __name__ == "__main__":
    sys.exit(main())
