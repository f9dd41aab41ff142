"""The personal center's navigation: one list, so the menu and the URLs cannot drift apart."""

from dataclasses import dataclass
from functools import cache

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    summary: str
    url_name: str

    @property
    def url(self):
        return _url(self.url_name)


@cache
def _url(url_name):
    # The menu is on every page: reverse each entry once per process.
    return reverse(url_name)


SECTIONS = [
    Section("home", _("概览"), _("返利一览：待结算、已结算、可提现。"), "center:home"),
    Section("orders", _("返利订单"), _("成功推广订单的金额、类型、状态与返利。"), "center:orders"),
    Section("customers", _("推广客户"), _("通过你的专属链接关联的客户。"), "center:customers"),
    Section("link", _("推广链接"), _("你的专属推广链接与二维码。"), "center:link"),
    Section("tasks", _("任务与奖励"), _("本月返利规则与返利产品，下月规则公布后同步显示。"), "center:tasks"),
    Section("news", _("最新动态"), _("规则调整与计划公告。"), "center:news"),
    Section("withdrawals", _("提现"), _("可提现余额、提现到支付宝与提现记录。"), "center:withdrawals"),
    Section("tax", _("税务"), _("平台代缴的劳务报酬个人所得税记录。"), "center:tax"),
    Section("account", _("账号"), _("实名认证、支付宝绑定与注销。"), "center:account"),
]
