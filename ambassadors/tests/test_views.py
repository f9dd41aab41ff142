"""The onboarding pages: messages for bad input, scoping, masked display."""

import re

import pytest
from django.urls import reverse

from ambassadors import services
from ambassadors.models import Ambassador, Verification
from ambassadors.tests.factories import (
    AmbassadorFactory,
    BoundAmbassadorFactory,
    UserFactory,
    VerifiedAmbassadorFactory,
    make_id_number,
)
from portal.kernel.personal_data import keyed_hash

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, ambassador):
    client.force_login(ambassador.user)
    return client


def error_summary(page):
    """The error summary on top of the form: its heading and where its items link to."""
    summary = re.search(r'<div class="[^"]*form-errors[^"]*" role="alert">(.*?)</div>', page, re.S)
    assert summary, "no error summary with role=alert"
    heading = re.search(r"<strong>(.*?)</strong>", summary[1])[1]
    return heading, re.findall(r'<a href="#([^"]+)">', summary[1])


def focused(page):
    """The ids of the elements the page opens focused on."""
    return re.findall(r'<[^>]* autofocus [^>]*id="([^"]+)"', page)


def verification_form(**overrides):
    return {
        "legal_name": "张三",
        "id_number": make_id_number(),
        "phone": "13812345678",
        "consent": "on",
    } | overrides


@pytest.mark.parametrize(
    "path",
    ["center:home", "center:account", "center:verify", "center:alipay", "center:cancel"],
)
def test_pages_need_a_login(client, path):
    answer = client.get(reverse(path))
    assert answer.status_code == 302
    assert answer.url.startswith(reverse("account_login"))


def test_joining_from_the_overview(client, user):
    client.force_login(user)
    assert "加入云大使".encode() in client.get(reverse("center:home")).content
    client.post(reverse("center:join"))
    assert Ambassador.objects.filter(user=user).exists()


def test_joining_needs_post(client, user):
    client.force_login(user)
    assert client.get(reverse("center:join")).status_code == 405
    assert not Ambassador.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "440304199001011234", "校验位不正确"),
        ("id_number", "1101051949123100", "应为 18 位"),
        ("id_number", "11010519491231002A", "只能包含数字"),
        ("id_number", make_id_number(birth="19900230"), "不是真实日期"),
        ("id_number", make_id_number(birth="20200101"), "年满 18 周岁"),
        ("legal_name", "Zhang", "中文姓名"),
        ("phone", "12345", "11 位"),
        ("consent", "", "请阅读并同意"),
    ],
)
def test_each_bad_verification_field_gets_its_own_message_and_nothing_is_stored(logged_in, field, value, message):
    answer = logged_in.post(reverse("center:verify"), verification_form(**{field: value}))
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Verification.objects.exists()


@pytest.mark.parametrize(
    ("language", "heading"),
    [("zh-hans", "请更正以下 4 处问题："), ("en", "Please correct the 4 problems below:")],
)
def test_an_empty_verification_is_summed_up_on_top_and_the_first_field_has_the_focus(logged_in, language, heading):
    """At a phone's width the fields' own messages start far below the screen: the summary
    at the top of the form says what to correct, and the page opens at the first of it."""
    logged_in.cookies["django_language"] = language
    empty = {"legal_name": "", "id_number": "", "phone": ""}  # as a browser sends the form untouched
    page = logged_in.post(reverse("center:verify"), empty).content.decode()
    assert error_summary(page) == (heading, ["id_legal_name", "id_id_number", "id_phone", "id_consent"])
    assert page.index("form-errors") < page.index('id="id_legal_name"')  # on top of the fields
    assert focused(page) == ["id_legal_name"]


def test_the_focus_goes_to_the_first_field_in_error_not_the_first_field(logged_in):
    page = logged_in.post(reverse("center:verify"), verification_form(phone="12345")).content.decode()
    assert error_summary(page) == ("请更正以下 1 处问题：", ["id_phone"])
    assert "手机号：请填写 11 位中国大陆手机号。" in page
    assert focused(page) == ["id_phone"]


def test_a_page_not_submitted_has_no_summary_and_no_focus(logged_in):
    page = logged_in.get(reverse("center:verify")).content.decode()
    assert 'role="alert"' not in page and not focused(page)


def test_a_good_verification_is_submitted(logged_in, ambassador):
    answer = logged_in.post(reverse("center:verify"), verification_form())
    assert answer.url == reverse("center:account")
    assert ambassador.verifications.get().status == Verification.Status.SUBMITTED


def test_the_account_page_shows_the_binding_masked_never_in_clear(client):
    bound = BoundAmbassadorFactory(legal_name="张三", id_number="11010519491231002X", phone="13812345678")
    client.force_login(bound.user)
    page = client.get(reverse("center:account")).content.decode()
    assert "张*" in page and "110***********002X" in page and "138****5678" in page
    for clear in ("张三", "11010519491231002X", "13812345678", bound.alipay_account):
        assert clear not in page


def test_a_rejection_reason_reaches_the_ambassador(logged_in, ambassador):
    verification = services.verification_submit(
        ambassador=ambassador, legal_name="张三", id_number=make_id_number(), phone="13812345678", consent=True
    )
    services.verification_reject(verification=verification, actor=UserFactory(is_staff=True), reason="证件号与姓名不符")
    assert "证件号与姓名不符" in logged_in.get(reverse("center:home")).content.decode()
    assert "证件号与姓名不符" in logged_in.get(reverse("center:account")).content.decode()


def test_a_verification_of_another_ambassador_answers_404(logged_in):
    other = AmbassadorFactory()
    theirs = services.verification_submit(
        ambassador=other, legal_name="李四", id_number=make_id_number(), phone="13900000000", consent=True
    )
    assert logged_in.get(reverse("center:verification", args=[theirs.pk])).status_code == 404


def test_ones_own_verification_is_shown(logged_in, ambassador):
    mine = services.verification_submit(
        ambassador=ambassador, legal_name="张三", id_number=make_id_number(), phone="13812345678", consent=True
    )
    assert logged_in.get(reverse("center:verification", args=[mine.pk])).status_code == 200


def test_alipay_page_states_the_permanence_and_checks_the_typing(client):
    verified = VerifiedAmbassadorFactory(legal_name="张三")
    client.force_login(verified.user)
    page = client.get(reverse("center:alipay")).content.decode()
    assert "绑定后不能更改" in page and "张*" in page
    answer = client.post(
        reverse("center:alipay"),
        {"account": "a@example.com", "account_again": "b@example.com", "holder_confirmed": "on"},
    )
    assert "两次输入的支付宝账号不一致" in answer.content.decode()
    answer = client.post(reverse("center:alipay"), {"account": "a@example.com", "account_again": "a@example.com"})
    assert "绑定后不能更改" in answer.content.decode()
    verified.refresh_from_db()
    assert verified.alipay_account is None


@pytest.mark.parametrize(
    ("language", "heading"),
    [("zh-hans", "请更正以下 2 处问题："), ("en", "Please correct the 2 problems below:")],
)
def test_a_bad_alipay_binding_is_summed_up_on_top_and_focused(client, language, heading):
    verified = VerifiedAmbassadorFactory()
    client.force_login(verified.user)
    client.cookies["django_language"] = language
    answer = client.post(reverse("center:alipay"), {"account": "a@example.com", "account_again": "b@example.com"})
    page = answer.content.decode()
    assert error_summary(page) == (heading, ["id_account_again", "id_holder_confirmed"])
    assert focused(page) == ["id_account_again"]


@pytest.mark.parametrize(
    ("language", "heading"),
    [("zh-hans", "请更正以下 1 处问题："), ("en", "Please correct the problem below:")],
)
def test_a_wrong_password_on_the_cancel_page_is_summed_up_on_top_and_focused(logged_in, ambassador, language, heading):
    logged_in.cookies["django_language"] = language
    page = logged_in.post(reverse("center:cancel"), {"understood": "on", "password": "wrong"}).content.decode()
    assert error_summary(page) == (heading, ["id_password"])
    assert focused(page) == ["id_password"]


def test_cancel_page_states_forfeiture_and_needs_the_password(logged_in, ambassador):
    page = logged_in.get(reverse("center:cancel")).content.decode()
    assert "未提现的返利将作废" in page
    logged_in.post(reverse("center:cancel"), {"understood": "on", "password": "wrong"})
    ambassador.refresh_from_db()
    assert ambassador.cancelled_at is None
    logged_in.post(reverse("center:cancel"), {"understood": "on", "password": "correct horse battery"})
    ambassador.refresh_from_db()
    assert ambassador.cancelled_at is not None


def test_an_unknown_section_is_404(logged_in):
    assert logged_in.get("/center/nothing-here/").status_code == 404


def test_refused_alipay_bindings_are_limited_and_say_nothing_about_other_accounts(client):
    from ambassadors.views import BIND_ATTEMPTS

    BoundAmbassadorFactory(alipay_account="taken@example.com", alipay_account_hash=keyed_hash("taken@example.com"))
    verified = VerifiedAmbassadorFactory()
    client.force_login(verified.user)
    form = {"account": "taken@example.com", "account_again": "taken@example.com", "holder_confirmed": "on"}
    for _ in range(BIND_ATTEMPTS):
        page = client.post(reverse("center:alipay"), form).content.decode()
        assert "无法绑定" in page and "其他云大使" not in page
    page = client.post(
        reverse("center:alipay"), form | {"account": "free@example.com", "account_again": "free@example.com"}
    )
    assert "尝试次数过多" in page.content.decode()
    verified.refresh_from_db()
    assert verified.alipay_account is None
