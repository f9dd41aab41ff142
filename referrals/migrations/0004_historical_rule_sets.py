"""The program's published terms up to now (R5.3), as data: a starter product
catalogue, the rule set up to March 2019 and the one from April 2019."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import migrations

SHANGHAI = ZoneInfo("Asia/Shanghai")

PRODUCTS = [
    ("ecs", "云服务器 ECS", "cloud"),
    ("rds", "云数据库 RDS", "cloud"),
    ("oss", "对象存储 OSS", "cloud"),
    ("slb", "负载均衡 SLB", "cloud"),
    ("domain", "域名", "domain"),
    ("vhost-shared", "共享虚拟主机", "shared_host"),
    ("vhost-dedicated", "独享虚拟主机", "dedicated_host"),
]
REBATE_PRODUCTS = ["ecs", "rds", "oss", "slb", "vhost-shared", "vhost-dedicated"]

RULE_SETS = [
    {
        "month": date(2018, 8, 1),
        "title": "云大使返利规则（2018 年 8 月起）",
        "summary": "会员首购返利 25%；新购、续费、升级、产品首购返利 15%。",
        "rates": {"member_first_purchase_rate": "0.25", "new_purchase_rate": "0.15", "renewal_rate": "0.15",
                  "upgrade_rate": "0.15", "product_first_purchase_rate": "0.15"},
        "bonus_tiers": [],
        "published_at": datetime(2018, 7, 31, 18, 0, tzinfo=SHANGHAI),
    },
    {
        "month": date(2019, 4, 1),
        "title": "云大使返利规则（2019 年 4 月起）",
        "summary": "只返利会员首购，比例 25%；500 元及以上的会员首购计入季度现金奖励。",
        "rates": {"member_first_purchase_rate": "0.25", "new_purchase_rate": "0", "renewal_rate": "0",
                  "upgrade_rate": "0", "product_first_purchase_rate": "0"},
        "bonus_tiers": [{"min_orders": 5, "bonus": "300.00"}, {"min_orders": 20, "bonus": "1500.00"}],
        "published_at": datetime(2019, 3, 29, 18, 0, tzinfo=SHANGHAI),
    },
]


def load(apps, schema_editor):
    Product = apps.get_model("referrals", "Product")
    RuleSet = apps.get_model("referrals", "RuleSet")
    NewsEntry = apps.get_model("referrals", "NewsEntry")
    for code, name, category in PRODUCTS:
        Product.objects.get_or_create(code=code, defaults={"name": name, "category": category})
    rebated = list(Product.objects.filter(code__in=REBATE_PRODUCTS))
    for data in RULE_SETS:
        rule_set, created = RuleSet.objects.get_or_create(
            month=data["month"],
            version=1,
            defaults={
                "status": "published",
                "published_at": data["published_at"],
                "title": data["title"],
                "summary": data["summary"],
                "bonus_tiers": data["bonus_tiers"],
                **{field: Decimal(rate) for field, rate in data["rates"].items()},
            },
        )
        if created:
            rule_set.rebate_products.set(rebated)
            NewsEntry.objects.create(
                title=data["title"], body=data["summary"], published_at=data["published_at"], rule_set=rule_set
            )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0003_orders_and_rule_sets")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
