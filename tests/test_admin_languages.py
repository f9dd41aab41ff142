"""The admin speaks the page's language: in Chinese (the default) no label, heading, column
head or action is left in Django's or django-q2's English, and in English no label is left
in Chinese where the portal has an English one. Data (names, codes, staff-written content)
is not a label and is not checked here."""

import io
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from portal.kernel.models import User

pytestmark = pytest.mark.django_db

# Names that stay as they are in Chinese: products, acronyms, the task library's name.
LATIN_ALLOWED = {"API", "ECS", "OSS", "RDS", "SLB", "CBM", "Django", "ID", "UTC", "csv", "xlsx", "Cron"}
LATIN_ALLOWED |= {"Control", "Mac", "Command"}  # keys, in Django's own Chinese help text
CJK = re.compile(r"[\u4e00-\u9fff]")
# A word, not part of code shown as an example (payout:1, myapp.tasks.job, "min_orders").
LATIN_WORD = re.compile(r"""(?<![\w.:/"'-])[A-Za-z]{3,}(?![\w.:/"'-])""")


class Labels(HTMLParser):
    """Texts of the page's labels: headings, form labels, help texts, column heads, filter
    titles and the action menu; not table cells or read-only values."""

    LABEL_TAGS = {"h1", "h2", "h3", "label", "caption"}

    def __init__(self):
        super().__init__()
        self.stack, self.texts, self.in_thead, self.in_actions, self.in_help = [], [], 0, 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.stack.append(tag)
        self.in_thead += tag == "thead"
        self.in_actions += tag == "select" and attrs.get("name") == "action"
        self.in_help += tag == "div" and "help" in (attrs.get("class") or "").split()

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        self.in_thead -= tag == "thead" and self.in_thead > 0
        self.in_actions -= tag == "select" and self.in_actions > 0
        self.in_help -= tag == "div" and self.in_help > 0

    def handle_data(self, data):
        text = data.strip()
        if not text or (self.stack and self.stack[-1] in {"script", "style"}):
            return
        if set(self.stack) & self.LABEL_TAGS or self.in_thead or self.in_actions or self.in_help:
            self.texts.append(text)


def labels_of(html):
    parser = Labels()
    parser.feed(html)
    return parser.texts


@pytest.fixture
def admin_pages(client, reference_data):
    call_command("load_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(email="admin@demo.local"))
    urls = [(reverse("admin:index"), None)]
    for model in admin.site._registry:
        opts = model._meta
        urls.append((reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), None))
        first = model._default_manager.first()
        if first is not None:
            urls.append((reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]), first))

    def pages(language):
        """(url, labels) of each page; a change page's title, the object itself, is data."""
        client.cookies["django_language"] = language
        for url, shown in urls:
            answer = client.get(url)
            assert answer.status_code == 200, url
            yield url, [text for text in labels_of(answer.content.decode()) if shown is None or text != str(shown)]

    return pages


def test_the_chinese_admin_has_no_english_labels(admin_pages):
    english = {
        (url, text)
        for url, texts in admin_pages("zh-hans")
        for text in texts
        if any(word not in LATIN_ALLOWED for word in LATIN_WORD.findall(text))
        and "@" not in text  # an account's email in a page title
    }
    assert not english, "\n".join(f"{url}: {text}" for url, text in sorted(english))


def test_the_english_admin_has_no_chinese_labels(admin_pages):
    chinese = {(url, text) for url, texts in admin_pages("en") for text in texts if CJK.search(text)}
    assert not chinese, "\n".join(f"{url}: {text}" for url, text in sorted(chinese))


def test_permissions_read_in_the_pages_language(client):
    from django.contrib.auth.models import Group

    from portal.kernel.staff import RISK, staff_groups_sync

    staff_groups_sync()
    client.force_login(User.objects.create_superuser(email="root@example.com", password="x-long-pass-99"))
    page = reverse("admin:auth_group_change", args=[Group.objects.get(name=RISK).pk])
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(page).content.decode()
    assert "可以查看风控案件" in chinese and "可以审核风控案件" in chinese and "Can view" not in chinese
    client.cookies["django_language"] = "en"
    english = client.get(page).content.decode()
    assert "Can view Risk case" in english and "Can decide risk cases" in english and "风控" not in english


def test_each_model_is_named_singular_and_plural_in_english(client):
    """The change list's title uses the singular ("Select Withdrawal to view"): a model whose
    Chinese name serves both (提现) needs its English singular of its own."""
    uncountable = {"News"}
    with translation.override("en"):
        alike = [
            model._meta.label
            for model in admin.site._registry
            if str(model._meta.verbose_name) == str(model._meta.verbose_name_plural)
            and str(model._meta.verbose_name) not in uncountable
        ]
    assert alike == []

    client.force_login(User.objects.create_superuser(email="root@example.com", password="x-long-pass-99"))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:payouts_withdrawal_changelist")).content.decode()
    assert "Select Withdrawal to" in page and "Select Withdrawals" not in page


def test_a_list_has_the_pages_width_without_the_model_menu(client):
    client.force_login(User.objects.create_superuser(email="root@example.com", password="x-long-pass-99"))
    page = client.get(reverse("admin:payouts_taxassessment_changelist")).content.decode()
    assert 'id="changelist"' in page and 'id="nav-sidebar"' not in page
