#!/usr/bin/env python
"""Finance's monthly sheets at 10,000 and 100,000 rows: export time and peak memory, csv and xlsx,
masked and with full identities, each export in a fresh Python process.

The data is built once in a throwaway PostgreSQL database through the real models (bulk_create, so
every name, ID number, phone and Alipay account is Fernet-encrypted by the model field, with its keyed
hash beside it): 5,000 verified ambassadors with Alipay bound receive each payout month's succeeded
withdrawals (one month per size, the ambassadors drawn at random, finish times spread over the month,
2% more failed ones that the sheet leaves out). For the tax sheet (one row per ambassador) there are
as many more ambassadors as its largest size, each with one paid withdrawal and its tax assessment in
that size's tax month (a month of its own). `VACUUM ANALYZE` follows.

Each measured export runs in a new process (settings bench.settings, DEBUG off, as the other
benches): Django is set up, one export of an empty month of the same sheet and format warms imports
and translations, then `payouts.exports.sheet_write` writes the month to a file on disk. Reported: the
export call's wall time (median of the runs), the process's peak RSS (getrusage ru_maxrss) and how much
of it the export added, and, in one more run per case with tracemalloc on (slower, so not timed),
the peak of Python allocations during the export call. "Flat in the row count" shows as the ratio of
the 100,000-row peak to the 10,000-row one. Every output is checked: its row count, and in a masked
csv that no name or ID number is in clear.

    .venv/bin/python bench/payout_export.py [--rows 10000,100000] [--runs 3] [--sheets payout,tax]
        [--formats csv,xlsx] [--identities masked,full] [--reuse-data] [--keep DIR]

--reuse-data skips building when the database built last time holds the months asked for; --keep writes the
outputs of the last run of each case into DIR (to compare two versions of the code).
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness
from portal.kernel.months import add_months, month_bounds

ROOT = Path(__file__).resolve().parent.parent
DATABASE = harness.database_name("portal_bench_export")
REDIS_DB = harness.redis_db(10)
AMBASSADORS = 5_000  # the payout sheets' rows are spread over these
FAILED_SHARE = 50  # one withdrawal in 50 more failed in each payout month: not on the sheet
BATCH = 5_000
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_PAYOUT_MONTH = date(2026, 6, 1)  # sizes in increasing order take a month each from here
FIRST_TAX_MONTH = date(2027, 1, 1)
EMPTY_MONTH = date(2025, 1, 1)  # for the warm-up export in each process
MASKED_EMAIL = "export-masked@bench.example"
FULL_EMAIL = "export-full@bench.example"

SETUP = harness.Setup(database=DATABASE, port=0, redis_db=REDIS_DB)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文辉玉兰俊峰晓燕鹏宇浩然子涵欣怡梓轩"
COMPOUND = ["欧阳", "司马", "上官", "诸葛"]


def months(first, count):
    """`count` consecutive first days of months from `first`."""
    result, month = [], first
    for _ in range(count):
        result.append(month)
        month = add_months(month, 1)
    return result


# Building the data (in this process, once).


def person(number, rng):
    """A verified ambassador's name, ID number, phone and Alipay account, all distinct by `number`."""
    from ambassadors.rules import id_check_character

    surname = COMPOUND[number % 4] if number % 97 == 0 else rng.choice(SURNAMES)
    name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    birth = date(1960, 1, 1) + timedelta(days=number // 900)  # 900 sequence numbers a day
    area = rng.choice(("110105", "310104", "440305", "330106", "510107"))
    first_17 = f"{area}{birth:%Y%m%d}{number % 900 + 100:03d}"
    phone = f"1{rng.choice('3578')}{number:09d}"
    alipay = phone if number % 3 else f"amb{number}@bench.example"
    return name, first_17 + id_check_character(first_17), phone, alipay


def ambassadors_create(count, rng):
    """`count` verified ambassadors with Alipay bound, their personal data encrypted by the model
    fields as bulk_create saves them; their primary keys in creation order."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from ambassadors.models import Ambassador
    from portal.kernel.models import User
    from portal.kernel.personal_data import (
        keyed_hash,
        normalise_id_number,
        normalise_name,
        normalise_payment_account,
        normalise_phone,
    )

    password = make_password(None)
    verified = timezone.now() - timedelta(days=400)
    pks = []
    for first in range(0, count, BATCH):
        numbers = range(first, min(first + BATCH, count))
        users = User.objects.bulk_create(
            [User(email=f"ambassador{number}@bench.example", password=password) for number in numbers]
        )
        batch = []
        for number, user in zip(numbers, users, strict=True):
            name, id_number, phone, alipay = person(number, rng)
            batch.append(
                Ambassador(
                    user=user,
                    legal_name=name,
                    legal_name_hash=keyed_hash(normalise_name(name)),
                    id_number=id_number,
                    id_number_hash=keyed_hash(normalise_id_number(id_number)),
                    verified_at=verified,
                    phone=phone,
                    phone_hash=keyed_hash(normalise_phone(phone)),
                    alipay_account=alipay,
                    alipay_account_hash=keyed_hash(normalise_payment_account(alipay)),
                    alipay_bound_at=verified,
                )
            )
        pks += [ambassador.pk for ambassador in Ambassador.objects.bulk_create(batch)]
    return pks


def withdrawals_create(month, picks, rng, *, state="succeeded"):
    """One withdrawal per ambassador id in `picks`, finished at a random instant of `month` (Shanghai)."""
    from payouts.models import Withdrawal

    start, end = month_bounds(month, SHANGHAI)
    seconds = int((end - start).total_seconds())
    created = []
    for first in range(0, len(picks), BATCH):
        batch = []
        for ambassador_id in picks[first : first + BATCH]:
            finished = start + timedelta(seconds=rng.randrange(seconds))
            batch.append(
                Withdrawal(
                    ambassador_id=ambassador_id,
                    amount=Decimal(rng.randrange(10_000, 2_000_000)) / 100,
                    state=state,
                    request_token=uuid.uuid4(),
                    submitted_at=finished - timedelta(minutes=1),
                    attempts=1,
                    finished_at=finished,
                    alipay_order_id=f"2026{rng.randrange(10**16):016d}" if state == "succeeded" else "",
                    failure_code="" if state == "succeeded" else "PAYEE_NOT_EXIST",
                )
            )
        created += Withdrawal.objects.bulk_create(batch)
    return created


def assessments_create(month, withdrawals):
    """Each withdrawal's tax record, the only payment of its ambassador that month."""
    from payouts.models import TaxAssessment
    from payouts.tax import tax_for_net

    for first in range(0, len(withdrawals), BATCH):
        batch = []
        for withdrawal in withdrawals[first : first + BATCH]:
            figures = tax_for_net(withdrawal.amount)
            batch.append(
                TaxAssessment(
                    ambassador_id=withdrawal.ambassador_id,
                    month=month,
                    withdrawal=withdrawal,
                    net_income=figures.net,
                    gross_income=figures.gross,
                    deduction=figures.deduction,
                    taxable_income=figures.taxable,
                    rate=figures.rate,
                    quick_deduction=figures.quick_deduction,
                    tax=figures.tax,
                    tax_this_payment=figures.tax,
                )
            )
        TaxAssessment.objects.bulk_create(batch)


def exporters_create():
    """A staff user who may export both sheets masked, and one in the finance group (full identities)."""
    from django.contrib.auth.models import Group, Permission

    from portal.kernel.models import User
    from portal.kernel.staff import FINANCE, staff_groups_sync

    staff_groups_sync()
    masked = User.objects.create_user(email=MASKED_EMAIL, password=None, is_staff=True)
    masked.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="payouts", codename__in=["export_withdrawal", "export_taxassessment"]
        )
    )
    full = User.objects.create_user(email=FULL_EMAIL, password=None, is_staff=True)
    full.groups.add(Group.objects.get(name=FINANCE))


def layout(sizes, sheets):
    """What the database holds: {sheet: {rows: month}}."""
    plan = {"payout": dict(zip(sizes, months(FIRST_PAYOUT_MONTH, len(sizes)), strict=True))}
    if "tax" in sheets:
        plan["tax"] = dict(zip(sizes, months(FIRST_TAX_MONTH, len(sizes)), strict=True))
    return plan


def layout_parse(text):
    return {
        sheet: {int(rows): date.fromisoformat(month) for rows, month in by_rows.items()}
        for sheet, by_rows in json.loads(text).items()
    }


def layout_holds(built, plan):
    """Whether the database built last time (its layout as stored) has every month of `plan`."""
    if built is None:
        return False
    built = layout_parse(built)
    return all(
        built.get(sheet, {}).get(rows) == month for sheet, months in plan.items() for rows, month in months.items()
    )


def built_layout():
    """The layout the database holds now, or None if it cannot be read."""
    check = subprocess.run(
        ["psql", *harness.POSTGRES, "-d", DATABASE, "-Atc", "SELECT layout FROM bench_export_layout"],
        capture_output=True,
        text=True,
    )
    return check.stdout.strip() if check.returncode == 0 else None


def build(plan):
    from django.db import connection

    rng = random.Random(2026)
    began = time.monotonic()
    largest_tax = max(plan.get("tax", {0: None}))
    pks = ambassadors_create(AMBASSADORS + largest_tax, rng)
    print(f"{len(pks):,} verified ambassadors stored ({time.monotonic() - began:.0f} s)", flush=True)
    payees = pks[:AMBASSADORS]
    for rows, month in plan["payout"].items():
        withdrawals_create(month, [rng.choice(payees) for _ in range(rows)], rng)
        withdrawals_create(month, [rng.choice(payees) for _ in range(rows // FAILED_SHARE)], rng, state="failed")
        print(f"payout month {month:%Y-%m}: {rows:,} paid ({time.monotonic() - began:.0f} s)", flush=True)
    for rows, month in plan.get("tax", {}).items():
        paid = withdrawals_create(month, pks[AMBASSADORS : AMBASSADORS + rows], rng)
        assessments_create(month, paid)
        print(f"tax month {month:%Y-%m}: {rows:,} assessed ({time.monotonic() - began:.0f} s)", flush=True)
    exporters_create()
    with connection.cursor() as cursor:
        # Requested two hours before it was paid (auto_now_add stamped the build's time).
        cursor.execute("UPDATE payouts_withdrawal SET requested_at = finished_at - interval '2 hours'")
        cursor.execute("CREATE TABLE bench_export_layout (layout text)")
        cursor.execute("INSERT INTO bench_export_layout VALUES (%s)", [json.dumps(plan, default=str)])
    connection.close()
    for table in ("ambassadors_ambassador", "payouts_withdrawal", "payouts_taxassessment", "portal_user"):
        subprocess.run(["psql", *harness.POSTGRES, "-d", DATABASE, "-qc", f"VACUUM ANALYZE {table}"], check=True)
    print(f"data built in {time.monotonic() - began:.0f} s", flush=True)


# One export, in a process of its own.


def child(options):
    """Set up Django, warm up on an empty month, then export the month once; print the figures as JSON."""
    SETUP.django_setup()
    import tracemalloc

    from payouts import exports
    from portal.kernel.models import User

    email = FULL_EMAIL if options.identity == "full" else MASKED_EMAIL
    with open(os.devnull, "wb") as devnull:
        assert (
            exports.sheet_write(options.sheet, EMPTY_MONTH, options.format, User.objects.get(email=email), devnull) == 0
        )
    user = User.objects.get(email=email)  # a fresh user: has_perm's cache not filled
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    traced = None
    with open(options.output, "wb") as stream:
        if options.trace:
            tracemalloc.start()
        began, cpu_began = time.perf_counter(), time.process_time()
        rows = exports.sheet_write(options.sheet, options.month, options.format, user, stream)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        if options.trace:
            traced = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    parent_rss = int(os.environ.get("BENCH_PARENT_MAXRSS", "0"))
    if parent_rss >= rss_before:  # inherited from the parent, not this process's own figure
        raise SystemExit(f"ru_maxrss {rss_before} KiB inherited from the parent ({parent_rss} KiB)")
    figures = {
        "rows": rows,
        "seconds": seconds,
        "cpu": cpu,
        "rss_before": rss_before * 1024,
        "rss_peak": rss_after * 1024,
        "traced_peak": traced,
        "bytes": os.path.getsize(options.output),
    }
    print(json.dumps(figures))


def output_check(path, fmt, identity, expected_rows):
    """The rows written, header (and xlsx's totals row) included, and in a masked csv every name and ID
    number masked."""
    if fmt == "csv":
        import csv

        with open(path, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            header = next(reader)
            name, id_number = header.index("姓名"), header.index("身份证号")
            count = 1
            for row in reader:
                count += 1
                if identity == "masked":
                    assert re.fullmatch(r"'?.\*+", row[name]) and "*" * 11 in row[id_number], row
                else:
                    assert "*" not in row[name] + row[id_number], row
    else:
        with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
            count, tail = 0, b""
            while chunk := sheet.read(1 << 20):
                count += (tail + chunk).count(b"<row ") - tail.count(b"<row ")
                tail = chunk[-5:]
    expected = expected_rows + 1 + (fmt == "xlsx" and expected_rows > 0)  # the header, and xlsx's totals row
    if count != expected:
        raise SystemExit(f"{path}: {count} rows with the header (and totals), expected {expected}")


def export_run(case, month, scratch, trace=False):
    sheet, fmt, identity, rows = case
    output = Path(scratch) / f"{sheet}-{identity}-{rows}.{fmt}"
    answer = subprocess.run(
        [sys.executable, __file__, "--child", "--sheet", sheet, "--format", fmt, "--identity", identity]
        + ["--month", f"{month:%Y-%m}", "--output", str(output)]
        + (["--trace"] if trace else []),
        cwd=ROOT,
        env=SETUP.environment() | {"BENCH_PARENT_MAXRSS": str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)},
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(answer.stdout.strip().splitlines()[-1])
    if figures["rows"] != rows:
        raise SystemExit(f"{case}: {figures['rows']} rows exported, expected {rows}")
    output_check(output, fmt, identity, rows)
    return figures, output


def versions():
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("Django", "django-import-export", "openpyxl", "lxml", "cryptography", "psycopg"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} absent")
    return ", ".join(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000", help="sheet sizes, one month each")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per case (plus one with tracemalloc)")
    parser.add_argument("--sheets", default="payout,tax")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--identities", default="masked,full")
    parser.add_argument("--reuse-data", action="store_true", help="keep the database if it holds these months")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc run of each case")
    parser.add_argument("--keep", help="copy each case's last output into this folder")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sheet", help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    parser.add_argument("--identity", help=argparse.SUPPRESS)
    parser.add_argument("--month", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return child(options)
    if options.build:
        SETUP.django_setup()
        return build(layout_parse(options.build))

    sizes = sorted(int(rows) for rows in options.rows.split(","))
    sheets = options.sheets.split(",")
    started = time.monotonic()
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    plan = layout(sizes, sheets)
    if options.reuse_data and layout_holds(built_layout(), plan):
        print("reusing the data built last time", flush=True)
    else:
        SETUP.recreate()
        # In a process of its own: a child inherits its parent's ru_maxrss (Linux keeps the peak
        # across fork and exec), so this process stays small for the exports' figures to be theirs.
        subprocess.run(
            [sys.executable, __file__, "--build", json.dumps(plan, default=str)],
            cwd=ROOT,
            env=SETUP.environment(),
            check=True,
        )

    cases = [
        (sheet, fmt, identity, rows)
        for sheet in sheets
        for fmt in options.formats.split(",")
        for identity in options.identities.split(",")
        for rows in sizes
    ]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as scratch:
        for case in cases:
            month = plan[case[0]][case[3]]
            runs = []
            for _ in range(options.runs):
                figures, output = export_run(case, month, scratch)
                runs.append(figures)
                print(
                    f"  {' '.join(map(str, case))}: {figures['seconds']:.2f} s ({figures['cpu']:.2f} s CPU),"
                    f" RSS peak {figures['rss_peak'] / 2**20:.0f} MiB",
                    flush=True,
                )
            if options.keep:
                Path(options.keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(output, Path(options.keep) / output.name)
            traced = None
            if not options.no_trace:
                traced = export_run(case, month, scratch, trace=True)[0]["traced_peak"]
                print(f"  {' '.join(map(str, case))}: tracemalloc peak {traced / 2**20:.1f} MiB", flush=True)
            results[case] = (runs, traced)
    report(options, sizes, results, load_before)
    print(f"\ntotal time: {time.monotonic() - started:.0f} s; load average at the end: {os.getloadavg()[0]:.2f}")


def report(options, sizes, results, load_before):
    mib = 2**20
    print(f"\n`{' '.join([Path(sys.executable).name, *sys.argv])}`")
    print(
        f"{os.cpu_count()} cores, load average {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}"
        f" at the start; Python {sys.version.split()[0]}, {versions()}; PostgreSQL on the same machine;"
        f" {options.runs} runs per case, medians; each export in a fresh process"
    )
    print(
        "| sheet | format | identities | rows | export s | CPU s | rows/s | RSS before MiB | RSS peak MiB"
        " | RSS added MiB | tracemalloc peak MiB | file MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (sheet, fmt, identity, rows), (runs, traced) in results.items():
        seconds = statistics.median(run["seconds"] for run in runs)
        cpu = statistics.median(run["cpu"] for run in runs)
        before = statistics.median(run["rss_before"] for run in runs)
        peak = statistics.median(run["rss_peak"] for run in runs)
        print(
            f"| {sheet} | {fmt} | {identity} | {rows:,} | {seconds:.2f} | {cpu:.2f} | {rows / seconds:,.0f}"
            f" | {before / mib:.0f} | {peak / mib:.0f} | {(peak - before) / mib:.1f}"
            f" | {'' if traced is None else f'{traced / mib:.2f}'} | {runs[-1]['bytes'] / mib:.1f} |"
        )
    print(
        "(export s: wall time of the export call; CPU s: this process's CPU time in it, PostgreSQL's not"
        " included, steadier than wall time on a loaded machine; RSS: ru_maxrss before the export call and"
        " at its end; tracemalloc: peak of Python allocations during the call, in a run of its own)"
    )
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(
            f"\n{large:,} rows against {small:,} (memory flat in the row count: about 1.0x; time {large / small:.0f}x):"
        )
        for sheet, fmt, identity, rows in results:
            if rows != small or (sheet, fmt, identity, large) not in results:
                continue
            (runs_s, traced_s), (runs_l, traced_l) = (
                results[sheet, fmt, identity, small],
                results[sheet, fmt, identity, large],
            )
            seconds_s, seconds_l = (statistics.median(run["seconds"] for run in runs) for runs in (runs_s, runs_l))
            cpu_s, cpu_l = (statistics.median(run["cpu"] for run in runs) for runs in (runs_s, runs_l))
            peak_s, peak_l = (statistics.median(run["rss_peak"] for run in runs) for runs in (runs_s, runs_l))
            added_s, added_l = (
                statistics.median(run["rss_peak"] - run["rss_before"] for run in runs) for runs in (runs_s, runs_l)
            )
            parts = [
                f"time {seconds_l / seconds_s:.1f}x (CPU {cpu_l / cpu_s:.1f}x)",
                f"RSS peak {peak_l / peak_s:.2f}x",
                f"RSS added {added_l / mib:.1f} MiB against {added_s / mib:.1f}",
            ]
            if traced_s and traced_l:
                parts.append(f"tracemalloc peak {traced_l / traced_s:.2f}x")
            print(f"- {sheet} {fmt} {identity}: " + ", ".join(parts))
    print(
        "runs (s): "
        + "; ".join(
            f"{' '.join(map(str, case))} {[round(run['seconds'], 2) for run in runs]}"
            for case, (runs, _t) in results.items()
        )
    )


if __name__ == "__main__":
    main()
