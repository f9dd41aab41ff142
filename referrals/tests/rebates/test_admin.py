"""Staff screens of the catalogue and the rule sets."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.kernel.staff import FINANCE
from referrals.models import NewsEntry, Product, RuleSet
from referrals.tests.staff import staff_in

pytestmark = pytest.mark.django_db


def upload(name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_operations_import_products_from_xlsx(operations):
    book = openpyxl.Workbook()
    book.active.append(["code", "name", "category"])
    book.active.append(["cdn", "内容分发 CDN", "cloud"])
    content = io.BytesIO()
    book.save(content)
    url = reverse("admin:referrals_product_import")
    answer = operations.post(
        url,
        {
            "format": "1",
            "import_file": upload(
                "p.xlsx", content.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        },
    )
    assert answer.status_code == 200
    confirm = answer.context["confirm_form"]
    operations.post(reverse("admin:referrals_product_process_import"), confirm.initial)
    assert Product.objects.get(code="cdn").category == "cloud"


def test_staff_without_the_import_permission_cannot_import_products(client):
    client.force_login(staff_in(FINANCE))
    assert client.get(reverse("admin:referrals_product_import")).status_code == 403


def test_publishing_a_draft_in_the_admin_adds_news_and_freezes_it(operations):
    from datetime import date

    draft = RuleSet.objects.create(month=date(2026, 12, 1), title="十二月规则", member_first_purchase_rate="0.25")
    operations.post(
        reverse("admin:referrals_ruleset_changelist"), {"action": "publish", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.is_published and NewsEntry.objects.filter(rule_set=draft).exists()
    assert (
        operations.get(reverse("admin:referrals_ruleset_change", args=[draft.pk])).context["has_change_permission"]
        is False
    )


def test_the_product_export_with_a_filter_the_list_does_not_have_is_a_400_with_a_message(operations):
    answer = operations.get(reverse("admin:referrals_product_export"), {"month": "9999-12"})
    assert answer.status_code == 400
    assert "筛选条件" in [str(message) for message in answer.context["messages"]][0]
    assert operations.get(reverse("admin:referrals_product_export"), {"category": "cloud"}).status_code == 200


def test_r5_6_a_rule_set_added_in_the_admin_is_its_months_next_version(operations):
    def add(title):
        answer = operations.post(
            reverse("admin:referrals_ruleset_add"),
            {
                "month": "2031-05-01",
                "title": title,
                "summary": "",
                "member_first_purchase_rate": "0.25",
                "new_purchase_rate": "0",
                "renewal_rate": "0",
                "upgrade_rate": "0",
                "product_first_purchase_rate": "0",
                "excluded_activities": "[]",
                "bonus_tiers": "[]",
                "rebate_products": [Product.objects.get(code="ecs").pk],
                "risk_window_days": "30",
                "risk_min_orders": "5",
                "risk_suspect_share": "0.300",
                "refund_window_days": "180",
                "refund_rating_steps": "[3, 6, 10]",
                "version": "7",  # not an input: the month's next version is given
            },
        )
        assert answer.status_code == 302, answer.context["adminform"].form.errors
        return RuleSet.objects.get(title=title)

    assert (add("first").version, add("second").version) == (1, 2)
