"""The load: a few threads, each one kind of user of the program, all at once for the duration.

- visitors follow exclusive links (`GET /r/<code>`), a few with an unknown code or a `?to=`;
- newcomers follow a link, sign up through allauth's form with the referral cookie, and read
  their account id from `/api/v1/me` so billing can send their orders;
- returning customers follow a link and log in, which applies the cookie;
- billing (billing.py) sends events;
- ambassadors withdraw on the 提现 page, now and then submitting the same form twice at once;
- finance settles successive dates (`manage.py settle_rebates --date`) and reconciles
  (`manage.py reconcile_withdrawals`).
"""

import json
import random
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .browser import Browser, next_address
from .prepare import PASSWORD, Customer
from .shape import ROOT

_WITHDRAWABLE = re.compile(r"可提现</dt><dd[^>]*>¥(-?[0-9,.]+)</dd>")  # shown thousands apart: ¥2,024.50
_REQUEST_TOKEN = re.compile(r'name="request_token" value="([^"]+)"')
_WATCHED = re.compile(r'data-watch="(/center/withdrawals/[0-9]+/state)"')
CHINESE = {"Accept-Language": "zh-hans"}


def withdrawable_shown(found):
    """The amount a `_WITHDRAWABLE` match shows, read back from its thousands separators."""
    return Decimal(found.group(1).replace(",", ""))


@dataclass
class Run:
    """What the threads share: the clock, the stop signals, and what they did."""

    shape: object
    stats: object
    billing: object
    ambassadors: list
    customers: list
    duration: float
    seed: int
    stop: threading.Event = field(default_factory=threading.Event)
    flush: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    timeline: list = field(default_factory=list)  # (seconds, what happened)
    problems: list = field(default_factory=list)  # violations seen during the run
    referred: list = field(default_factory=list)  # (customer uid, ambassador pk, how): a cookie applied
    withdrawal_forms: dict = field(default_factory=dict)  # request token -> (ambassador pk, amount, statuses)
    settlements: list = field(default_factory=list)  # (seconds, day, output)
    reconciliations: list = field(default_factory=list)  # (seconds, output)
    counters: dict = field(default_factory=dict)
    stall_requests_before: int = 0
    hurry: threading.Event = field(default_factory=threading.Event)  # Alipay is stalled: withdraw more
    fault_threads: list = field(default_factory=list)

    @property
    def port(self):
        return self.shape.port

    def now(self):
        return time.monotonic() - self.started

    def note(self, text):
        with self.lock:
            self.timeline.append((self.now(), text))
        print(f"  t={self.now():6.1f}s  {text}", flush=True)

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def count(self, name, by=1):
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + by

    def rng(self, name):
        return random.Random(f"{self.seed}-{name}")

    def ambassador_by_code(self, code):
        return next(ambassador for ambassador in self.ambassadors if ambassador.code == code)

    def manage(self, *args):
        """A management command as an operator runs it: its output, and a problem if it failed."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.shape.environment(),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            self.problem(f"`manage.py {' '.join(args)}` exited with {done.returncode}: {' / '.join(tail)}")
        return done.stdout.strip()


def _windows(run, *, established):
    """Delays (seconds) for an order's unpaid, paid and refund snapshots."""
    d = run.duration
    if established:  # in the first half; refunds later, before or after their settlement
        return [(0, 0.5 * d), (0, 0.55 * d), (0.2 * d, 0.85 * d)]
    return [(0, 3), (0, 6), (4, 25)]


# billing


def billing_start(run, rng):
    """The established customers' orders of 51–30 days ago, sent during the first part of the load."""
    now = datetime.now(UTC)
    windows = _windows(run, established=True)
    for customer in run.customers:
        if customer.kind != "established":
            continue
        placed = customer.associated_at + timedelta(hours=rng.uniform(4, 20.5 * 24))
        customer.orders.append(run.billing.order_send(customer.uid, placed, first=True, live=False, windows=windows))
        if rng.random() < 0.2:  # a second order a few days later: the customer is no longer new
            later = min(placed + timedelta(days=rng.uniform(1, 5)), now - timedelta(days=30))
            customer.orders.append(
                run.billing.order_send(customer.uid, later, first=False, live=False, windows=windows)
            )
        if rng.random() < 0.1:
            ambassador = run.ambassador_by_code(customer.ambassador_code)
            number = 800_000 + run.customers.index(customer)
            run.billing.customer_send(
                customer, ambassador_phone=ambassador.phone, number=number, window=(0, 0.5 * run.duration)
            )


def billing_live(run, customer, ambassador, rng, number):
    """A customer who just arrived through a link: their segment and identity, and one or two orders."""
    run.billing.customer_send(customer, ambassador_phone=ambassador.phone, number=number, window=(0, 4))
    windows = _windows(run, established=False)
    placed = datetime.now(UTC)
    customer.orders.append(run.billing.order_send(customer.uid, placed, first=True, live=True, windows=windows))
    if rng.random() < 0.3:
        customer.orders.append(
            run.billing.order_send(customer.uid, placed + timedelta(seconds=1), first=False, live=True, windows=windows)
        )


def billing_stream(run, every):
    """More orders, placed now, from customers billing knows: the established ones are old
    customers by now and outside their window, the newcomers may still earn."""
    rng = run.rng("stream")
    windows = _windows(run, established=False)
    while not run.stop.wait(every):
        with run.lock:
            customer = rng.choice([customer for customer in run.customers if customer.ready])
        billing_id = run.billing.order_send(customer.uid, datetime.now(UTC), first=False, live=True, windows=windows)
        customer.orders.append(billing_id)


# visitors, newcomers and returning customers


def link_visits(run, interval):
    rng = run.rng("links")
    codes = [ambassador.code for ambassador in run.ambassadors]
    while not run.stop.is_set():
        browser = Browser(run.port, run.stats, source=next_address())
        code = rng.choice(codes) if rng.random() > 0.05 else "nosuchcode"
        path = f"/r/{code}" + ("?to=/accounts/login/" if rng.random() < 0.1 else "")
        answer = browser.get(path, kind="link visit", expected=(302,))
        if answer.status == 302:
            run.count("link clicks")
            if "portal_ref" not in browser.cookies or "portal_device" not in browser.cookies:
                run.problem(f"{path} answered 302 without the referral and device cookies")
        run.stop.wait(interval)


def _follow_link(run, browser, ambassador, kind):
    answer = browser.get(f"/r/{ambassador.code}", kind=kind, expected=(302,))
    if answer.status == 302:
        run.count("link clicks")
    return answer.status == 302 and "portal_ref" in browser.cookies


def sign_up(run, rng, number):
    ambassador = rng.choice(run.ambassadors)
    browser = Browser(run.port, run.stats, source=next_address())
    if not _follow_link(run, browser, ambassador, "link visit before sign-up"):
        return
    form = browser.get("/accounts/signup/", kind="sign-up form", headers=CHINESE)
    email = f"newcomer{number}-{run.seed}@soak.example"
    answer = browser.post_form(
        "/accounts/signup/",
        {"csrfmiddlewaretoken": form.csrf_token(), "email": email, "password1": PASSWORD, "password2": PASSWORD},
        kind="sign-up",
    )
    if answer.status != 302:
        return
    me = browser.get("/api/v1/me", kind="api me")
    if me.status != 200:
        return
    customer = Customer(json.loads(me.text)["id"], email, "new", ambassador.code, ready=True)
    with run.lock:
        run.customers.append(customer)
        run.referred.append((customer.uid, ambassador.pk, "sign-up"))
    run.count("sign-ups")
    billing_live(run, customer, ambassador, rng, number)


def log_in(run, rng, number):
    """A customer follows a link and logs in, which applies the referral cookie. Mostly a returning
    customer with no association yet (they must be associated); now and then an established
    customer (an old customer by now, unless billing's events about them are still on their way)
    or a newcomer following another ambassador's link (last visit wins, unless they became old or
    another segment meanwhile): those may be associated or refused, with a reason."""
    with run.lock:
        waiting = [c for c in run.customers if c.kind == "returning" and not c.ambassador_code]
        newcomers = [c for c in run.customers if c.kind == "new"]
        roll = rng.random()
        if waiting and (roll > 0.3 or not newcomers):
            customer, how = waiting[0], "log-in"
            ambassador = rng.choice(run.ambassadors)
            customer.ambassador_code = ambassador.code  # taken: no other thread logs this one in
        elif newcomers and roll > 0.15:
            customer, how = rng.choice(newcomers), "log-in through another link"
            ambassador = rng.choice([a for a in run.ambassadors if a.code != customer.ambassador_code])
        else:
            customer, how = rng.choice([c for c in run.customers if c.kind == "established"]), "log-in (old)"
            ambassador = rng.choice(run.ambassadors)
    browser = Browser(run.port, run.stats, source=next_address())
    if not _follow_link(run, browser, ambassador, "link visit before log-in"):
        return
    form = browser.get("/accounts/login/", kind="log-in form", headers=CHINESE)
    answer = browser.post_form(
        "/accounts/login/",
        {"csrfmiddlewaretoken": form.csrf_token(), "login": customer.email, "password": PASSWORD},
        kind="log-in",
    )
    if answer.status != 302:
        return
    run.count("log-ins")
    if "portal_ref" in browser.cookies:
        run.problem(f"log-in of {customer.email} left the referral cookie in place (it is used up at log-in)")
    with run.lock:
        run.referred.append((customer.uid, ambassador.pk, how))
    if how == "log-in":
        with run.lock:
            customer.ready = True
        billing_live(run, customer, ambassador, rng, 500_000 + number)


def arrivals(run, sign_up_every, log_in_every):
    """Newcomers and returning customers, interleaved (each sign-up and log-in hashes a password:
    about a second of one web process's CPU on this machine)."""
    rng = run.rng("arrivals")
    next_sign_up, next_log_in, number = run.now(), run.now() + log_in_every / 2, 0
    while not run.stop.is_set():
        number += 1
        if next_sign_up <= next_log_in:
            run.stop.wait(max(0.0, next_sign_up - run.now()))
            if run.stop.is_set():
                break
            sign_up(run, rng, number)
            next_sign_up += sign_up_every
        else:
            run.stop.wait(max(0.0, next_log_in - run.now()))
            if run.stop.is_set():
                break
            log_in(run, rng, number)
            next_log_in += log_in_every


# ambassadors withdraw


def ambassador_sessions(run):
    """Each ambassador logged in through the log-in form, as in a browser."""
    sessions = {}
    for ambassador in run.ambassadors:
        browser = Browser(run.port, run.stats)
        form = browser.get("/accounts/login/", kind="log-in form", headers=CHINESE)
        browser.post_form(
            "/accounts/login/",
            {"csrfmiddlewaretoken": form.csrf_token(), "login": ambassador.email, "password": PASSWORD},
            kind="log-in (ambassador)",
        )
        if "sessionid" not in browser.cookies:
            raise SystemExit(f"ambassador {ambassador.email} could not log in")
        sessions[ambassador.pk] = browser
    return sessions


def withdrawals(run, sessions, interval):
    rng = run.rng("withdrawals")
    while not run.stop.wait(interval / 5 if run.hurry.is_set() else interval):
        ambassador = rng.choice(run.ambassadors)
        browser = sessions[ambassador.pk]
        page = browser.get("/center/withdrawals/", kind="withdrawal page", headers=CHINESE)
        for state_url in _WATCHED.findall(page.text)[:2]:  # as the page's script asks, until Alipay answers
            browser.get(state_url, kind="withdrawal state", headers=CHINESE)
        found, token = _WITHDRAWABLE.search(page.text), _REQUEST_TOKEN.search(page.text)
        if page.status != 200 or not found or not token:
            if page.status == 200:
                run.problem("the 提现 page showed no withdrawable balance or no form")
            continue
        withdrawable = withdrawable_shown(found)
        if withdrawable < 1:
            continue
        # The confirmation step's button: the amount is posted as the confirmation page posts it.
        fields = {"csrfmiddlewaretoken": page.csrf_token(), "request_token": token.group(1), "confirm": "1"}
        roll = rng.random()
        if roll < 0.08:  # more than there is: refused on the form, nothing made
            fields["amount"] = str(withdrawable + Decimal("0.01"))
            # 200 with the form's error; 302 only if a settlement raised the balance meanwhile
            answers = [
                browser.post_form("/center/withdrawals/", fields, kind="withdrawal over balance", expected=(200, 302))
            ]
        else:
            amount = min(withdrawable, Decimal(rng.randrange(100, 15_000)) / 100)
            fields["amount"] = str(amount)
            if roll < 0.2:  # the same form submitted twice at once: one withdrawal
                answers = _twice_at_once(browser, fields)
            else:
                answers = [browser.post_form("/center/withdrawals/", fields, kind="withdrawal")]
        with run.lock:
            run.withdrawal_forms[fields["request_token"]] = (
                ambassador.pk,
                Decimal(fields["amount"]),
                [answer.status for answer in answers],
            )


def _twice_at_once(browser, fields):
    answers = [None, None]

    def submit(index):
        answers[index] = browser.post_form("/center/withdrawals/", fields, kind="withdrawal submitted twice")

    threads = [threading.Thread(target=submit, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


# finance


def settlements(run, days, times):
    """`manage.py settle_rebates --date` for successive dates; the middle date twice at once."""
    for index, (at, day) in enumerate(zip(times, days, strict=True)):
        if run.stop.wait(max(0.0, at - run.now())):
            return
        copies = 2 if index == len(days) // 2 else 1
        outputs = [None] * copies

        def settle(slot, day=day, outputs=outputs):
            outputs[slot] = run.manage("settle_rebates", "--date", day.isoformat())

        threads = [threading.Thread(target=settle, args=(slot,)) for slot in range(copies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with run.lock:
            for output in outputs:
                run.settlements.append((at, day, output))


def reconciliations(run, interval):
    while not run.stop.wait(interval):
        output = run.manage("reconcile_withdrawals")
        with run.lock:
            run.reconciliations.append((run.now(), output))
