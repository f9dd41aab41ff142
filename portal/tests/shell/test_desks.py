"""The admin's index opens with what waits on each desk the staff member may see, each
count linked to its desk's list filtered to exactly those rows."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from ambassadors import services
from ambassadors.tests.factories import AmbassadorFactory, BoundAmbassadorFactory, make_id_number
from payouts.models import Withdrawal
from portal.kernel.staff import FINANCE, RISK
from referrals.tests.staff import staff_in

pytestmark = pytest.mark.django_db


def desk_counts(page):
    """{"desk · what": count} as the index shows them."""
    rows = re.findall(
        r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th>\s*<td class="desk-count">(?:<strong>)?(\d+)', page
    )
    return {title: (int(count), url.replace("&amp;", "&")) for url, title, count in rows}


def listed_rows(page):
    """Rows of the admin list's result table."""
    return page.split('id="result_list"')[1].split("<tbody>")[1].split("</tbody>")[0].count("<tr")


def submitted_verification():
    return services.verification_submit(
        ambassador=AmbassadorFactory(), legal_name="张三", id_number=make_id_number(), phone="13812345678", consent=True
    )


def test_the_risk_group_sees_its_desks_counts(client):
    submitted_verification()
    submitted_verification()
    client.force_login(staff_in(RISK))
    counts = desk_counts(client.get(reverse("admin:index")).content.decode())
    assert counts["实名认证 · 待审核"][0] == 2
    assert counts["风控案件 · 待审核"][0] == 0
    assert not any(title.startswith("提现") for title in counts)  # not theirs to see
    assert listed_rows(client.get(counts["实名认证 · 待审核"][1]).content.decode()) == 2


def test_finance_sees_withdrawals_waiting_and_unknown(client):
    ambassador = BoundAmbassadorFactory()
    for number, state in enumerate(["requested", "submitted", "unknown", "succeeded"]):
        Withdrawal.objects.create(
            ambassador=ambassador,
            amount=Decimal("10.00"),
            state=state,
            request_token=f"00000000-0000-4000-8000-00000000000{number}",
        )
    client.force_login(staff_in(FINANCE))
    counts = desk_counts(client.get(reverse("admin:index")).content.decode())
    assert counts["提现 · 处理中"][0] == 2
    assert counts["提现 · 结果确认中"][0] == 1
    assert "风控案件 · 待审核" not in counts
    for title in ("提现 · 处理中", "提现 · 结果确认中"):
        assert listed_rows(client.get(counts[title][1]).content.decode()) == counts[title][0]
