"""GET /r/<code>: redirect, cookies, the visit recorded, and nothing learned by enumeration."""

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ambassadors import services as ambassador_services
from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from referrals.attribution.cookies import DEVICE_COOKIE, REFERRAL_COOKIE, referral_cookie_value
from referrals.models import Association, AssociationRefusal, RefusalReason, Visit
from referrals.tests.visits import link_of

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


@pytest.fixture
def code(ambassador):
    return link_of(ambassador).code


def follow(client, code, **query):
    return client.get(reverse("referral_follow", args=[code]), query)


def test_a_click_redirects_to_the_landing_page_and_sets_both_cookies(client, code, settings):
    answer = follow(client, code)
    assert answer.status_code == 302
    assert answer["Location"] == settings.REFERRAL_LANDING_URL
    referral = answer.cookies[REFERRAL_COOKIE]
    assert referral["httponly"] and referral["samesite"] == "Lax"
    assert referral["max-age"] == 30 * 24 * 3600
    device = answer.cookies[DEVICE_COOKIE]
    assert device["httponly"] and int(device["max-age"]) > 365 * 24 * 3600
    assert answer["Cache-Control"] == "private, no-store"


def test_the_referral_cookie_is_signed_with_its_own_salt(client, code):
    raw = follow(client, code).cookies[REFERRAL_COOKIE].value
    with pytest.raises(signing.BadSignature):
        signing.TimestampSigner().unsign_object(raw)  # the default salt does not open it
    assert signing.TimestampSigner(salt="referrals.referral-cookie").unsign_object(raw)["c"] == code


def test_the_click_is_recorded_with_its_outcome(client, code, ambassador):
    follow(client, code, to="/accounts/login/")
    visit = Visit.objects.get()
    assert (visit.ambassador, visit.outcome, visit.landing) == (ambassador, Visit.Outcome.LANDED, "/accounts/login/")
    assert visit.device_hash


def test_an_off_site_target_lands_on_the_default_page(client, code, settings):
    assert follow(client, code, to="//evil.example")["Location"] == settings.REFERRAL_LANDING_URL


@pytest.mark.parametrize("refused", ["/nope/", "/center/link/", "http://testserver/admin/"])
def test_a_target_the_link_page_refuses_lands_on_the_default_page(client, code, settings, refused):
    """The click and the 推广链接 page judge `to=` alike: an old link made before the page
    refused such paths sends no visitor to a 404 or a log-in wall."""
    answer = follow(client, code, to=refused)
    assert answer["Location"] == settings.REFERRAL_LANDING_URL
    assert Visit.objects.get().landing == settings.REFERRAL_LANDING_URL


def test_an_anonymous_click_reads_no_session(client, code, django_assert_max_num_queries):
    # Embedded shape: the link lookup and the INSERT of the visit, nothing else.
    with django_assert_max_num_queries(2):
        follow(client, code)


def test_a_logged_in_customer_is_associated_at_once_and_carries_no_cookie(client, code, ambassador):
    customer = UserFactory()
    client.force_login(customer)
    answer = follow(client, code)
    assert Association.objects.get(customer=customer).ambassador == ambassador
    assert Visit.objects.get().outcome == Visit.Outcome.ASSOCIATED
    assert REFERRAL_COOKIE not in answer.cookies


def test_a_logged_in_ambassador_on_their_own_link_is_refused(client, code, ambassador):
    client.force_login(ambassador.user)
    follow(client, code)
    assert AssociationRefusal.objects.get().reason == RefusalReason.SAME_PERSON
    assert Visit.objects.get().outcome == Visit.Outcome.REFUSED


# R3.3: the cookie carries the visit to sign-up and log-in, across the session rotation.


def sign_up(client, email="new@example.com"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
    )


def test_r3_3_a_visit_before_sign_up_associates_the_new_account(client, code, ambassador):
    follow(client, code)
    sign_up(client)
    association = Association.objects.get()
    assert (association.customer.email, association.ambassador) == ("new@example.com", ambassador)
    assert str(association.visit_id) == str(Visit.objects.get().id)


def test_r3_3_a_visit_before_log_in_associates_the_existing_account(client, code, ambassador):
    customer = UserFactory()
    follow(client, code)
    client.post(reverse("account_login"), {"login": customer.email, "password": PASSWORD})
    assert Association.objects.get().customer == customer


def test_r3_3_a_sign_up_in_another_browser_is_not_associated(client, code, ambassador):
    """The limitation ambassadors are told of: the visit stays in the browser that made it, so an
    account signed up in another browser or on another device is not associated."""
    follow(client, code)
    sign_up(Client())
    assert get_user_model().objects.filter(email="new@example.com").exists()
    assert not Association.objects.exists()
    assert Visit.objects.get().outcome == Visit.Outcome.LANDED  # recorded, never applied


def test_the_device_seen_at_log_in_is_remembered(client, ambassador):
    customer = UserFactory()
    client.get("/accounts/login/")  # gets a device id
    client.post(reverse("account_login"), {"login": customer.email, "password": PASSWORD})
    assert customer.identity_signals.filter(kind="device").exists()


def test_an_ambassadors_second_account_signed_up_from_their_own_browser_is_refused(client, code, ambassador):
    """R9.2: a second account signed up through one's own link is the same person: no association."""
    client.post(reverse("account_login"), {"login": ambassador.user.email, "password": PASSWORD})
    client.post(reverse("account_logout"))
    follow(client, code)
    sign_up(client, "second-account@example.com")
    assert AssociationRefusal.objects.get().reason == RefusalReason.SAME_PERSON
    assert not Association.objects.exists()


def test_the_cookie_is_used_up_at_log_in(client, code, ambassador):
    follow(client, code)
    answer = sign_up(client)
    assert answer.cookies[REFERRAL_COOKIE].value == ""  # deleted
    client.post(reverse("account_logout"))
    sign_up(client, "second@example.com")
    assert [a.customer.email for a in Association.objects.all()] == ["new@example.com"]


def test_a_replayed_cookie_does_not_associate_a_second_account(client, code):
    follow(client, code)
    kept = client.cookies[REFERRAL_COOKIE].value
    sign_up(client)
    client.post(reverse("account_logout"))
    client.cookies[REFERRAL_COOKIE] = kept  # as a shared computer's old copy would be
    sign_up(client, "second@example.com")
    assert Association.objects.count() == 1
    assert AssociationRefusal.objects.get().reason == RefusalReason.VISIT_USED


def test_with_mandatory_email_verification_the_cookie_applies_when_the_email_is_confirmed(
    client, code, settings, mailoutbox
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    follow(client, code)
    sign_up(client)
    assert not Association.objects.exists()  # not logged in until the email is confirmed
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+)", mailoutbox[0].body).group(1)
    client.post(link)
    assert Association.objects.get().customer.email == "new@example.com"


def test_a_tampered_cookie_is_ignored(client, code):
    follow(client, code)
    value = client.cookies[REFERRAL_COOKIE].value
    client.cookies[REFERRAL_COOKIE] = value[:-3] + ("aaa" if not value.endswith("aaa") else "bbb")
    sign_up(client)
    assert not Association.objects.exists()
    assert not AssociationRefusal.objects.exists()


@pytest.mark.parametrize(
    "signer",
    [
        lambda: signing.TimestampSigner(salt="wrong-salt"),
        lambda: signing.TimestampSigner(),  # the default salt
        lambda: signing.TimestampSigner(key="another-key", salt="referrals.referral-cookie"),
    ],
)
def test_a_forged_cookie_is_ignored(client, code, signer):
    payload = {"c": code, "v": str(uuid.uuid4()), "t": timezone.now().timestamp()}
    client.cookies[REFERRAL_COOKIE] = signer().sign_object(payload)
    sign_up(client)
    assert not Association.objects.exists()


def test_the_same_payload_signed_rightly_is_applied(client, code):
    # The positive control for the forgeries above.
    payload = {"c": code, "v": str(uuid.uuid4()), "t": timezone.now().timestamp()}
    client.cookies[REFERRAL_COOKIE] = signing.TimestampSigner(salt="referrals.referral-cookie").sign_object(payload)
    sign_up(client)
    assert Association.objects.exists()


def test_an_expired_cookie_is_ignored(client, code):
    with time_machine.travel(-timedelta(days=31)):
        follow(client, code)
    sign_up(client)
    assert not Association.objects.exists()


def test_a_cookie_inside_its_window_still_works(client, code):
    with time_machine.travel(-timedelta(days=29)):
        follow(client, code)
    sign_up(client)
    assert Association.objects.exists()


# Enumeration: every code, good or not, gets the same answer.


def answer_shape(answer):
    return (
        answer.status_code,
        answer["Location"],
        sorted(answer.cookies),
        {name: (c["max-age"], c["httponly"], c["samesite"]) for name, c in answer.cookies.items()},
        answer["Cache-Control"],
    )


def test_enumerating_codes_learns_nothing(client, ambassador):
    good = link_of(ambassador).code
    cancelled = VerifiedAmbassadorFactory()
    cancelled_code = link_of(cancelled).code
    ambassador_services.ambassador_cancel(ambassador=cancelled, actor=cancelled.user)
    guesses = [good, cancelled_code, "aaaaaaaaaaaa", good.upper(), "x" * 200, "%00", "🙂", "a.b"]
    shapes = set()
    for guess in guesses:
        client.cookies.clear()
        shapes.add(repr(answer_shape(follow(client, guess))))
    assert len(shapes) == 1
    outcomes = dict(Visit.objects.values_list("code", "outcome"))
    assert outcomes[good] == Visit.Outcome.LANDED
    assert outcomes[cancelled_code] == Visit.Outcome.INACTIVE_AMBASSADOR
    assert outcomes["aaaaaaaaaaaa"] == Visit.Outcome.UNKNOWN_LINK


def test_control_characters_in_a_code_are_dropped_before_storing(client):
    assert client.get("/r/ab%00c%0d").status_code == 302
    assert Visit.objects.get().code == "abc"


def test_link_codes_are_long_random_and_unambiguous():
    codes = {link_of(VerifiedAmbassadorFactory()).code for _ in range(20)}
    assert len(codes) == 20
    assert all(re.fullmatch(r"[a-hjkmnp-z2-9]{12}", code) for code in codes)


def test_cookie_value_helper_round_trips(rf, code):
    from django.utils import timezone

    from referrals.attribution.cookies import referral_from_request

    now = timezone.now()
    request = rf.get("/")
    request.COOKIES[REFERRAL_COOKIE] = referral_cookie_value(code, "7d9c1e0c-5b8a-4b53-9a0e-4f1f6f2f8f30", now)
    visit = referral_from_request(request)
    assert (visit.code, visit.visit_id) == (code, "7d9c1e0c-5b8a-4b53-9a0e-4f1f6f2f8f30")
    assert abs((visit.visited_at - now).total_seconds()) < 1


def test_the_referral_cookie_is_signed_as_djangos_timestamp_signer_signs_it(settings):
    """The link's signer works out its key once; the cookie is the one Django would sign, and a
    cookie signed under a secret since rotated into the fallbacks is still read (R3.3)."""
    from referrals.attribution.cookies import REFERRAL_SALT, referral_from_request

    moment = timezone.now()
    with time_machine.travel(moment, tick=False):
        value = referral_cookie_value("abc", "7d9c1e0c-5b8a-4b53-9a0e-4f1f6f2f8f30", moment)
        expected = signing.TimestampSigner(salt=REFERRAL_SALT).sign_object(
            {"c": "abc", "v": "7d9c1e0c-5b8a-4b53-9a0e-4f1f6f2f8f30", "t": moment.timestamp()}
        )
        assert value == expected
        request = Client().get("/").wsgi_request
        request.COOKIES[REFERRAL_COOKIE] = value
        settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
        settings.SECRET_KEY = "a-new-secret-key-" + "y" * 40
        assert referral_from_request(request).code == "abc"
        assert referral_cookie_value("abc", "7d9c1e0c-5b8a-4b53-9a0e-4f1f6f2f8f30", moment) != value  # the new secret
        settings.SECRET_KEY_FALLBACKS = []
        assert referral_from_request(request) is None  # the old secret is gone: refused
