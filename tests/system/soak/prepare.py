"""What the soak needs before the load starts, made through the portal's own services in this
process (Django set up on the soak's database): a rule set in force, verified ambassadors with
Alipay bound and their links, and the customers billing already knows.

- "Established" customers followed an ambassador's link 51 days ago (applied through
  `association_apply` with that visit, as a log-in would have applied it then); billing sends
  their orders of 51 to 30 days ago during the load, so those rebates fall due on the dates the
  soak settles.
- "Returning" customers have accounts and no association yet: during the load they follow a link
  and log in, which applies the referral cookie.
"""

import logging
import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from .shape import ROOT

PASSWORD = "Soak-pass-2026-x"
LEGAL_NAMES = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞"]
ESTABLISHED_DAYS_AGO = 51


@dataclass
class AmbassadorAccount:
    pk: int
    email: str
    phone: str
    code: str
    alipay_account: str
    legal_name: str


@dataclass
class Customer:
    uid: str
    email: str
    kind: str  # "established", "returning" or "new"
    ambassador_code: str = ""  # the link that associated them, when known
    associated_at: datetime | None = None
    orders: list = field(default_factory=list)  # billing ids
    ready: bool = False  # billing may send orders now (a returning customer only once logged in)


def django_setup(environment, log_path):
    """Django in this process, on the soak's database; its logs go to a file, not the report."""
    os.environ.update(environment)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)


def _id_number(number):
    from ambassadors.rules import id_check_character

    first_17 = f"110105{1985 + number % 10}{(number % 12) + 1:02d}{(number % 27) + 1:02d}{number:03d}"
    return first_17 + id_check_character(first_17)


def rule_set_publish_current(staff):
    """A rule set for the months the soak's orders fall in, published through the service: the
    migrations' historical terms (2019) rebate only member first purchases; these rebate more kinds."""
    from django.utils import timezone

    from portal.kernel.months import month_of
    from referrals.models import Product, RuleSet
    from referrals.rebates.rule_sets import rule_set_publish

    month = month_of(timezone.localdate() - timedelta(days=120))
    rule_set = RuleSet.objects.create(
        month=month,
        title=f"云大使返利规则（{month:%Y 年 %-m 月}起，压力测试）",
        summary="会员首购 25%，产品首购 12%，新购 10%，续费与升级 8%。",
        member_first_purchase_rate=Decimal("0.25"),
        product_first_purchase_rate=Decimal("0.12"),
        new_purchase_rate=Decimal("0.10"),
        renewal_rate=Decimal("0.08"),
        upgrade_rate=Decimal("0.08"),
        excluded_activities=["double11"],
    )
    rule_set.rebate_products.set(Product.objects.exclude(code="domain"))
    return rule_set_publish(rule_set=rule_set, actor=staff)


def ambassadors_make(count, staff, password_hash):
    from ambassadors import services
    from portal.kernel.models import User
    from referrals.attribution.services import referral_link_for

    made = []
    for number in range(count):
        email = f"ambassador{number}@soak.example"
        user = User.objects.create(email=email, password=password_hash)
        ambassador = services.ambassador_join(user=user)
        phone = f"1390000{number:04d}"
        legal_name = LEGAL_NAMES[number % len(LEGAL_NAMES)]
        verification = services.verification_submit(
            ambassador=ambassador, legal_name=legal_name, id_number=_id_number(number), phone=phone, consent=True
        )
        services.verification_approve(verification=verification, actor=staff)
        ambassador.refresh_from_db()
        alipay_account = f"ambassador{number}@alipay.soak.example"
        services.alipay_bind(ambassador=ambassador, account=alipay_account, holder_confirmed=True)
        code = referral_link_for(ambassador).code
        made.append(AmbassadorAccount(ambassador.pk, email, phone, code, alipay_account, legal_name))
    return made


def customers_make(*, established, returning, ambassadors, password_hash, rng):
    from django.utils import timezone

    from portal.kernel.models import User
    from referrals.attribution.cookies import ReferralVisit
    from referrals.attribution.services import association_apply

    users = User.objects.bulk_create(
        [User(email=f"established{n}@soak.example", password=password_hash) for n in range(established)]
        + [User(email=f"returning{n}@soak.example", password=password_hash) for n in range(returning)],
        batch_size=500,
    )
    now = timezone.now()
    customers = []
    for number, user in enumerate(users):
        if number < established:
            ambassador = ambassadors[number % len(ambassadors)]
            visited_at = now - timedelta(days=ESTABLISHED_DAYS_AGO, minutes=rng.randrange(0, 600))
            visit = ReferralVisit(code=ambassador.code, visit_id=str(uuid.uuid4()), visited_at=visited_at)
            association_apply(customer=user, visit=visit, now=now)
            customers.append(
                Customer(str(user.uid), user.email, "established", ambassador.code, visited_at, ready=True)
            )
        else:
            customers.append(Customer(str(user.uid), user.email, "returning"))
    return customers


def prepare(*, ambassadors, established, returning, rng):
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from portal.kernel.models import User
    from portal.kernel.staff import RISK
    from referrals.models import Product

    if not Product.objects.exists():
        raise SystemExit("the product catalogue is empty: the migrations should have loaded it")
    password_hash = make_password(PASSWORD)  # hashed once: every soak account has this password
    staff = User.objects.create(email="risk@soak.example", password=password_hash, is_staff=True)
    staff.groups.add(Group.objects.get(name=RISK))
    rule_set = rule_set_publish_current(staff)
    accounts = ambassadors_make(ambassadors, staff, password_hash)
    customers = customers_make(
        established=established, returning=returning, ambassadors=accounts, password_hash=password_hash, rng=rng
    )
    return rule_set, accounts, customers
