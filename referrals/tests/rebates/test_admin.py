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


def import_products(operations, rows):
    """Staff import `rows` (the header first) as an xlsx sheet and confirm."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    content = io.BytesIO()
    book.save(content)
    answer = operations.post(
        reverse("admin:referrals_product_import"),
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


def test_operations_import_products_from_xlsx(operations):
    import_products(operations, [["code", "name", "category"], ["cdn", "内容分发 CDN", "cloud"]])
    assert Product.objects.get(code="cdn").category == "cloud"


def test_the_product_sheet_carries_the_english_name_and_a_sheet_without_it_keeps_it(operations):
    import_products(operations, [["code", "name", "name_en", "category"], ["cdn", "内容分发 CDN", "CDN", "cloud"]])
    assert Product.objects.get(code="cdn").name_en == "CDN"
    import_products(operations, [["code", "name", "category"], ["cdn", "内容分发网络 CDN", "cloud"]])
    assert Product.objects.values_list("name", "name_en").get(code="cdn") == ("内容分发网络 CDN", "CDN")


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
