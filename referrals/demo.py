"""Demo data of the referrals app: customers in every state the pages show."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from ambassadors import services as ambassador_services
from ambassadors.identity import identity_signal_record
from ambassadors.models import IdentitySignal
from portal.kernel.months import add_months, month_of

from .attribution import services
from .attribution.cookies import ReferralVisit
from .attribution.visit_log import visit_log_append
from .models import Activity, Product, RuleSet
from .rebates.rule_sets import rule_set_publish
from .rebates.services import OrderSnapshot, order_snapshot_apply

# Orders placed fewer days ago than this are this month's in the demo, whatever the day.
RECENT_DAYS = 30


def _visit(ambassador, *, days_ago, tag):
    """A click on the ambassador's link, recorded as a click is (推广链接's funnel counts it)."""
    code = services.referral_link_for(ambassador).code
    visit_id = f"00000000-0000-4000-8000-{tag:012d}"  # fixed ids: loading twice changes nothing
    visited_at = timezone.now() - timedelta(days=days_ago)
    visit_log_append(
        visit_id=visit_id, code=code, device_hash="", landing=settings.REFERRAL_LANDING_URL, visited_at=visited_at
    )
    return ReferralVisit(code=code, visit_id=visit_id, visited_at=visited_at)


def load(*, ambassador, account):
    """`ambassador` gets active and lost customers; a rival ambassador takes one over."""
    rival = ambassador_services.ambassador_join(user=account("rival@demo.local"))
    if not rival.verified_at:
        staff = account("admin@demo.local")
        verification = ambassador_services.verification_submit(
            ambassador=rival, legal_name="赵六", id_number="110105198502141233", phone="13700002222", consent=True
        )
        ambassador_services.verification_approve(verification=verification, actor=staff)
        rival.refresh_from_db()

    customer = account("customer@demo.local")
    services.association_apply(customer=customer, visit=_visit(ambassador, days_ago=3, tag=1))
    for number, days in enumerate([1, 6, 12, 25], start=2):
        services.association_apply(
            customer=account(f"lead{number}@demo.local"), visit=_visit(ambassador, days_ago=days, tag=number)
        )

    moved = account("moved@demo.local")
    services.association_apply(customer=moved, visit=_visit(ambassador, days_ago=10, tag=10))
    services.association_apply(customer=moved, visit=_visit(rival, days_ago=2, tag=11))
    services.association_apply(customer=account("lapsed@demo.local"), visit=_visit(ambassador, days_ago=45, tag=12))
    services.association_apply(customer=account("veteran@demo.local"), visit=_visit(ambassador, days_ago=60, tag=13))
    services.associations_expire()
    for tag, days in enumerate([0, 1, 1, 2, 4, 4, 7, 9, 13, 16, 21, 27], start=30):  # clicks that went no further
        _visit(ambassador, days_ago=days, tag=tag)

    return [("rival@demo.local", "另一位云大使，接替了一位客户 / a second ambassador who took over a customer")]


def load_orders(*, ambassador, account, staff):
    """This month's rules, next month's, and orders in every state the pages show."""
    today = timezone.localdate()
    this_month = month_of(today)
    next_month = add_months(this_month, 1)
    Activity.objects.get_or_create(
        code="double11-flash", defaults={"name": "双 11 限时秒杀", "name_en": "Double 11 flash sale"}
    )
    # This month's rules in both languages; next month's in Chinese only, as staff may first publish them.
    for month, rate, english in ((this_month, "0.25", True), (next_month, "0.30", False)):
        if not RuleSet.objects.filter(month=month).exists():
            percent = int(Decimal(rate) * 100)
            rule_set = RuleSet.objects.create(
                month=month,
                title=f"{month.year} 年 {month.month} 月云大使返利规则",
                summary=f"会员首购返利 {percent}%；500 元及以上的会员首购计入季度现金奖励。",
                title_en=f"Ambassador rebate rules for {month:%B %Y}" if english else "",
                summary_en=(
                    f"Member first purchases earn {percent}%; those of 500 yuan or more count towards the"
                    " quarterly cash bonus."
                )
                if english
                else "",
                member_first_purchase_rate=Decimal(rate),
                excluded_activities=["double11-flash"],
                bonus_tiers=[{"min_orders": 5, "bonus": "300.00"}, {"min_orders": 20, "bonus": "1500.00"}],
            )
            rule_set.rebate_products.set(Product.objects.filter(code__in=["ecs", "rds", "oss", "slb", "vhost-shared"]))
            rule_set_publish(rule_set=rule_set, actor=staff)

    # A twin account of the ambassador, linked only after it was associated: an invalid order.
    twin = account("twin@demo.local")
    services.association_apply(customer=twin, visit=_visit(ambassador, days_ago=5, tag=20))
    services.device_seen(user=twin, device_id="demo-shared-laptop", source="login")
    services.device_seen(user=ambassador.user, device_id="demo-shared-laptop", source="login")
    # A second account paying with the ambassador's own phone number: another case for the risk desk.
    spouse = account("spouse@demo.local")
    services.association_apply(customer=spouse, visit=_visit(ambassador, days_ago=6, tag=21))
    identity_signal_record(
        user=spouse, kind=IdentitySignal.Kind.PHONE, value_hash=ambassador.phone_hash, source="billing"
    )

    now = timezone.now()
    # The recent orders stay inside the current month, however early in it today is, so
    # 概览's "this month" reads the same on the 1st as on the 28th; the old ones fall in
    # earlier months and have settled (R7.1).
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    orders = [
        # customer, order id, product, amount, days ago placed, refund
        ("customer@demo.local", "DEMO-1001", "ecs", "1200.00", 2, None),
        ("lead2@demo.local", "DEMO-1002", "rds", "2980.00", 0, None),
        ("lead3@demo.local", "DEMO-1003", "ecs", "800.00", 5, "600.00"),
        ("lead4@demo.local", "DEMO-1004", "domain", "55.00", 10, None),
        ("lead5@demo.local", "DEMO-1005", "oss", "99.00", 20, None),
        ("twin@demo.local", "DEMO-1006", "ecs", "500.00", 4, None),
        ("spouse@demo.local", "DEMO-1009", "rds", "1600.00", 3, None),
        ("lapsed@demo.local", "DEMO-1007", "vhost-shared", "298.00", 44, None),
        ("veteran@demo.local", "DEMO-1008", "ecs", "19800.00", 58, None),  # settled: money to withdraw
    ]
    for email, billing_id, product, amount, days, refund in orders:
        placed = now - timedelta(days=days, hours=1)
        if days < RECENT_DAYS:
            placed = max(placed, month_start)
        paid = min(placed + timedelta(minutes=3), now)
        snapshot = OrderSnapshot(
            billing_id=billing_id,
            customer=account(email),
            product=Product.objects.get(code=product),
            billing="prepaid",
            kind="new",
            trial=False,
            activity="",
            amount=Decimal(amount),
            period_days=360,
            placed_at=placed,
            status="refunded" if refund else "paid",
            paid_at=paid,
            refunded_amount=Decimal(refund or "0"),
            refunded_at=min(paid + timedelta(days=1), now) if refund else None,
            version=1,
        )
        order_snapshot_apply(snapshot)
    return [
        ("twin@demo.local", "与云大使同一设备的账号，订单为无效订单 / same-person account: an invalid order"),
        ("spouse@demo.local", "与云大使同一手机号的账号，待风控审核 / same phone as the ambassador: on the risk desk"),
    ]
