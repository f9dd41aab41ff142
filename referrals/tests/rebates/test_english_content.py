"""Staff-written content in English mode: a product's name, a rule set's title and summary and
a news entry have English fields shown on English pages; where one is empty the Chinese is
shown marked "中文"; a promotion is named, never shown as its bare code."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from ambassadors.tests.factories import VerifiedAmbassadorFactory
from portal.kernel.bilingual import in_page_language
from referrals.models import Activity, NewsEntry, Product, RuleSet
from referrals.rebates.rule_sets import rule_set_publish

pytestmark = pytest.mark.django_db
MID_DECEMBER = datetime(2026, 12, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def english_client(client):
    client.force_login(VerifiedAmbassadorFactory().user)
    client.cookies["django_language"] = "en"
    return client


def rules_for(month, **fields):
    rule_set = RuleSet.objects.create(month=month, member_first_purchase_rate=Decimal("0.25"), **fields)
    rule_set.rebate_products.set(Product.objects.filter(code__in=["ecs", "domain"]))
    return rule_set_publish(rule_set=rule_set, actor=None)


def test_the_page_language_picks_the_field():
    product = Product(name="云服务器 ECS", name_en="Cloud server ECS")
    untranslated = Product(name="新产品")
    with translation.override("zh-hans"):
        assert in_page_language(product, "name") == ("云服务器 ECS", False)
    with translation.override("en"):
        assert in_page_language(product, "name") == ("Cloud server ECS", False)
        assert in_page_language(untranslated, "name") == ("新产品", True)


def test_the_shipped_catalogue_has_english_names():
    assert Product.objects.get(code="ecs").name_en == "Cloud server ECS"
    assert not Product.objects.filter(name_en="").exists()


def test_tasks_in_english_name_products_rules_and_promotions(english_client):
    Activity.objects.create(code="double11-flash", name="双 11 限时秒杀", name_en="Double 11 flash sale")
    rules_for(
        date(2026, 12, 1),
        title="2026 年 12 月规则",
        title_en="Rules for December 2026",
        summary="会员首购 25%",
        summary_en="Member first purchases earn 25%",
        excluded_activities=["double11-flash", "spring-x"],
    )
    with time_machine.travel(MID_DECEMBER, tick=False):
        page = english_client.get(reverse("center:tasks")).content.decode()
    assert "Rules for December 2026" in page and "Member first purchases earn 25%" in page
    assert "Cloud server ECS" in page and "Domain names" in page
    assert "Double 11 flash sale" in page and "double11-flash" not in page
    assert "Unnamed promotion (code spring-x)" in page  # a code staff have not named yet, said so
    assert "2026 年 12 月规则" not in page


def test_chinese_only_content_is_marked(english_client):
    rules_for(date(2026, 12, 1), title="仅中文的规则")
    with time_machine.travel(MID_DECEMBER, tick=False):
        page = english_client.get(reverse("center:tasks")).content.decode()
    assert '<span lang="zh-Hans">仅中文的规则</span> <span class="lang-marker"' in page
    news = english_client.get(reverse("center:news")).content.decode()
    assert '<span lang="zh-Hans">仅中文的规则</span>' in news and "中文</span>" in news


def test_publishing_carries_the_english_into_the_news(english_client):
    rule_set = rules_for(date(2026, 12, 1), title="十二月", title_en="December", summary="说明", summary_en="Summary")
    entry = NewsEntry.objects.get(rule_set=rule_set)
    assert (entry.title_en, entry.body_en) == ("December", "Summary")
    page = english_client.get(reverse("center:news")).content.decode()
    assert "December" in page and "Summary" in page and "十二月" not in page


def test_the_account_page_shows_a_readable_account_number(client):
    ambassador = VerifiedAmbassadorFactory()
    client.force_login(ambassador.user)
    page = client.get(reverse("center:account")).content.decode()
    digits = ambassador.user.uid.hex[:8].upper()
    assert f'<strong class="account-number">{digits[:4]}-{digits[4:]}</strong>' in page
    assert str(ambassador.user.uid) in page.split('<details class="account-uid">')[1]  # kept, folded away
