from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from ambassadors import demo as ambassadors_demo
from payouts import demo as payouts_demo
from portal.kernel.models import User
from portal.kernel.staff import FINANCE, OPERATIONS, RISK, staff_groups_sync
from referrals import demo as referrals_demo

DEMO_PASSWORD = "demo-pass-2026"


def _account(email, *, groups=(), **flags):
    user, created = User.objects.get_or_create(email=email, defaults=flags)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


class Command(BaseCommand):
    help = "Loads the demo accounts and data of every feature. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        staff_groups_sync()
        admin = _account("admin@demo.local", is_staff=True, is_superuser=True)
        logins = [("admin@demo.local", "超级管理员 / admin")]
        _account("risk@demo.local", is_staff=True, groups=[RISK])
        logins.append(("risk@demo.local", "风控审核员 / risk reviewer (实名认证审核、风控案件、黑名单)"))
        _account("finance@demo.local", is_staff=True, groups=[FINANCE])
        logins.append(("finance@demo.local", "财务 / finance"))
        _account("ops@demo.local", is_staff=True, groups=[OPERATIONS])
        logins.append(("ops@demo.local", "运营 / operations (products, rule sets, order imports)"))
        _account("customer@demo.local")
        logins.append(("customer@demo.local", "普通客户 / customer"))
        logins += ambassadors_demo.load(staff=admin, account=_account)
        ambassador = User.objects.get(email="ambassador@demo.local").ambassador
        logins += referrals_demo.load(ambassador=ambassador, account=_account)
        logins += referrals_demo.load_orders(ambassador=ambassador, account=_account, staff=admin)
        ambassador.refresh_from_db()
        logins += payouts_demo.load(ambassador=ambassador)

        width = max(len(email) for email, _ in logins)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for email, role in logins:
            self.stdout.write(f"  {email.ljust(width)}  {role}")
        self.stdout.write("Personal center: http://127.0.0.1:8000/center/   Admin: http://127.0.0.1:8000/admin/")
