"""Accounts: email sign-up and log-in, throttling, staff through the same login."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from ambassadors.tests.factories import UserFactory
from portal.kernel.models import AuditEntry, User
from portal.kernel.staff import FINANCE, GROUP_PERMISSIONS, RISK, staff_groups_sync

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def test_sign_up_by_email_gives_a_public_uid(client):
    client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
    )
    account = User.objects.get(email="new@example.com")
    assert account.uid is not None
    assert client.get("/api/v1/me").json()["email"] == "new@example.com"


def test_failed_logins_are_throttled(client, user):
    def attempt(password):
        return client.post(reverse("account_login"), {"login": user.email, "password": password})

    for _ in range(5):
        assert attempt("wrong").status_code == 200
    # Past the limit even the right password is refused for a while.
    answer = attempt(PASSWORD)
    assert "登录失败次数过多" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_the_portal_login(client):
    answer = client.get("/admin/")
    assert answer.status_code == 302
    follow = client.get(answer.url)
    assert follow.status_code == 302
    assert follow.url.startswith(reverse("account_login"))


def test_an_ambassador_cannot_reach_the_admin(client, verified_ambassador):
    client.force_login(verified_ambassador.user)
    assert client.get("/admin/ambassadors/verification/").status_code == 302
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_the_admin_takes_no_password_guesses(client, verified_ambassador):
    """Django's own admin form would let any account guess staff passwords without a limit:
    the admin's log-in only ever sends to the throttled portal log-in."""
    staff = UserFactory(is_staff=True)
    for _ in range(8):
        answer = client.post("/admin/login/", {"username": staff.email, "password": "guess"})
        assert answer.status_code == 302 and answer.url.startswith(reverse("account_login"))
    client.force_login(verified_ambassador.user)
    answer = client.post("/admin/login/", {"username": staff.email, "password": "guess"})
    assert answer.status_code == 403 and b"password" not in answer.content.lower()


def test_the_admin_login_sends_staff_on_and_refuses_other_sites(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/login/?next=/admin/portal/").url == "/admin/portal/"
    assert client.get("/admin/login/?next=https://evil.example/").url == "/admin/"


def test_staff_groups_hold_exactly_their_permissions():
    staff_groups_sync()
    staff_groups_sync()  # idempotent
    for name in GROUP_PERMISSIONS:
        held = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=name).permissions.all()}
        assert held == set(GROUP_PERMISSIONS[name])


def _staff(group):
    staff_groups_sync()
    member = User.objects.create_user(email=f"{group}@example.com", password=PASSWORD, is_staff=True)
    member.groups.add(Group.objects.get(name=group))
    return member


def test_finance_cannot_decide_a_verification(client, ambassador):
    from ambassadors import services
    from ambassadors.tests.factories import make_id_number

    verification = services.verification_submit(
        ambassador=ambassador, legal_name="张三", id_number=make_id_number(), phone="13812345678", consent=True
    )
    client.force_login(_staff(FINANCE))
    url = reverse("admin:ambassadors_verification_change", args=[verification.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403
    verification.refresh_from_db()
    assert verification.status == "submitted"


def test_risk_decides_a_verification_in_the_admin(client, ambassador):
    from ambassadors import services
    from ambassadors.tests.factories import make_id_number

    verification = services.verification_submit(
        ambassador=ambassador, legal_name="张三", id_number=make_id_number(), phone="13812345678", consent=True
    )
    reviewer = _staff(RISK)
    client.force_login(reviewer)
    url = reverse("admin:ambassadors_verification_change", args=[verification.pk])
    answer = client.post(url, {"decision": "reject", "reason": ""})
    assert "驳回时必须填写原因" in answer.content.decode()
    client.post(url, {"decision": "reject", "reason": "照片不清晰"})
    verification.refresh_from_db()
    assert (verification.status, verification.reject_reason, verification.decided_by) == (
        "rejected",
        "照片不清晰",
        reviewer,
    )


def test_the_audit_log_cannot_be_edited_or_deleted_in_the_admin(admin_client, ambassador):
    entry = AuditEntry.objects.create(action="x", target_type="t", target_id="1")
    change = reverse("admin:portal_auditentry_change", args=[entry.pk])
    admin_client.post(change, {"action": "y"})
    admin_client.post(reverse("admin:portal_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    entry.refresh_from_db()
    assert entry.action == "x"
    assert admin_client.get(reverse("admin:portal_auditentry_add")).status_code == 403


def test_a_refused_decision_is_shown_without_a_success_message(client):
    from ambassadors import services
    from ambassadors.tests.factories import AmbassadorFactory, VerifiedAmbassadorFactory, make_id_number

    number = make_id_number()
    waiting = services.verification_submit(
        ambassador=AmbassadorFactory(), legal_name="张三", id_number=number, phone="13812345678", consent=True
    )
    VerifiedAmbassadorFactory(id_number=number, id_number_hash=waiting.id_number_hash)  # verified elsewhere meanwhile
    client.force_login(_staff(RISK))
    url = reverse("admin:ambassadors_verification_change", args=[waiting.pk])
    page = client.post(url, {"decision": "approve"}, follow=True).content.decode()
    assert "已自动驳回" in page and "该身份证号已认证过其他云大使账户" in page
    assert "成功" not in page
    waiting.refresh_from_db()
    assert waiting.status == "rejected"


def test_staff_land_on_the_admin_after_logging_in(client):
    """Staff work in the admin: a log-in without `next` sends them there, not to the join pitch."""
    staff = UserFactory(email="clerk@example.com", is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    answer = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.url == reverse("admin:index")


def test_ambassadors_land_on_the_center_after_logging_in(client, user):
    answer = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert answer.url == reverse("center:home")


def test_a_staff_next_url_still_wins(client):
    staff = UserFactory(email="ops2@example.com", is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    answer = client.post(
        reverse("account_login") + "?next=/center/account/", {"login": staff.email, "password": PASSWORD}
    )
    assert answer.url == "/center/account/"


@pytest.mark.parametrize(
    ("url_name", "answer"),
    [
        ("account_login", None),
        ("account_signup", None),
        ("account_reset_password", None),
        ("account_login", {"login": "nobody@example.com", "password": "not-the-password-1"}),
        ("account_reset_password", {"email": "nobody@example.com"}),
        ("account_email_verification_sent", None),
        ("account_reset_password_from_key_done", None),
        ("account_inactive", None),
    ],
)
def test_the_log_in_pages_speak_the_portals_chinese(client, url_name, answer):
    """allauth's pages in the portal's voice (你, not 您), with Chinese colons and full stops."""
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse(url_name), answer, follow=True) if answer else client.get(reverse(url_name))
    main = response.content.decode().split('id="main"', 1)[1]
    assert "您" not in main
    assert "：</label>" in main or "<label" not in main
    assert not re.search(r"[\u4e00-\u9fff]:</label>|[\u4e00-\u9fff]\.|</a>\.", main)


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [("account_login", "Sign in"), ("account_signup", "Sign up"), ("account_reset_password", "Password reset")],
)
def test_the_log_in_pages_speak_the_portals_english(client, url_name, heading):
    """allauth's titles and buttons in sentence case, as the portal's own English ("Sign in")."""
    client.cookies["django_language"] = "en"
    page = client.get(reverse(url_name)).content.decode()
    main = page.split('id="main"', 1)[1]
    assert re.search(rf"<title>\s*{heading}\s*· ", page) and re.search(rf"<h1>\s*{heading}\s*</h1>", main)
    assert not re.search(r"\b(Sign In|Sign Up|Signup|Password Reset|Reset My Password|Remember Me)\b", page)


def test_every_reworded_allauth_title_is_translated_to_sentence_case():
    from django.utils import translation

    from portal.shell.allauth_english import SENTENCE_CASE

    with translation.override("en"):
        assert {words: translation.gettext(words) for words in SENTENCE_CASE} == SENTENCE_CASE


def test_the_remember_me_box_reads_as_the_portals_boxes(client):
    """The words after the box, no colon after them (the CSS puts the box first)."""
    client.cookies["django_language"] = "en"
    page = client.get(reverse("account_login")).content.decode()
    assert '<label for="id_remember">Remember me</label>' in page


MAILS = {
    "zh-hans": {
        "confirm": "确认你的云大使邮箱",
        "exists": "这个邮箱已注册云大使",
        "reset": "重置云大使密码",
        "greeting": "你好：",
        "signoff": "——云大使",
    },
    "en": {
        "confirm": "Confirm your email address for Ambassador",
        "exists": "This email address already has an Ambassador account",
        "reset": "Reset your Ambassador password",
        "greeting": "Hello,",
        "signoff": "— Ambassador",
    },
}


@pytest.mark.parametrize("language", MAILS)
def test_allauths_mails_are_the_portals_words_in_the_visitors_language(client, settings, mailoutbox, language):
    """Sign-up, the same address again, a reset for an unknown and for a known address: each mail
    greets, says what happened and signs off in the page's language (你, never 您 or "Hello from")."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    words = MAILS[language]
    client.cookies["django_language"] = language
    UserFactory(email="member@example.com")
    password = {"password1": "a-Long-pass-1234", "password2": "a-Long-pass-1234"}
    client.post(reverse("account_signup"), {"email": "member@example.com"} | password)
    client.post(reverse("account_signup"), {"email": "new@example.com"} | password)
    client.logout()
    client.cookies["django_language"] = language
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    client.post(reverse("account_reset_password"), {"email": "member@example.com"})
    assert [mail.subject for mail in mailoutbox] == [words["exists"], words["confirm"], words["reset"], words["reset"]]
    exists, confirm, unknown, reset = (mail.body for mail in mailoutbox)
    assert "/accounts/confirm-email/" in confirm
    assert "member@example.com" in exists and "/accounts/password/reset/" in exists
    assert "nobody@example.com" in unknown and "/accounts/signup/" in unknown
    assert "/accounts/password/reset/key/" in reset
    for body in (confirm, exists, unknown, reset):
        assert body.startswith(words["greeting"]) and body.rstrip().endswith(words["signoff"])
        assert not re.search(r"您|Hello from|Thank you for using", body)
        assert bool(re.search(r"[\u4e00-\u9fff]", body)) == (language == "zh-hans")
