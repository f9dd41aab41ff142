"""The 提现 and 税务 pages (R11) and the forfeit stated and posted on cancelling (R10.2)."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from ambassadors.tests.factories import BoundAmbassadorFactory
from payouts.alipay import TRANSFER
from payouts.ledger import balances_of
from payouts.models import Posting, TaxAssessment, Withdrawal
from payouts.settlement import settlement_run
from payouts.withdrawals import withdrawal_minimum

from .helpers import at, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(bound_ambassador, current_rules, client):
    paid_order(bound_ambassador, amount="4000.00", paid="2026-11-10 10:00")
    settlement_run(date(2026, 12, 10))
    client.force_login(bound_ambassador.user)
    return bound_ambassador


def form_token(client):
    page = client.get(reverse("center:withdrawals"))
    return page.context["form"]["request_token"].value()


def test_the_page_shows_balances_and_the_masked_account(funded, client):
    page = client.get(reverse("center:withdrawals")).content.decode()
    assert "¥1,000.00" in page
    assert funded.masked_alipay_account in page
    assert str(funded.alipay_account) not in page


def test_withdrawing_pays_and_lists_it(
    funded, client, alipay_settings, alipay_gateway, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the transfer task runs after the commit
        answer = client.post(
            reverse("center:withdrawals"), {"amount": "250.00", "request_token": form_token(client), "confirm": "1"}
        )
    assert answer.status_code == 302
    page = client.get(answer.url).content.decode()
    assert "已申请提现 ¥250.00" in page  # the message, shown once
    assert "已到账" in page and "¥750.00" in page
    assert Withdrawal.objects.get().state == Withdrawal.State.SUCCEEDED
    assert len(alipay_gateway.payments) == 1


def test_a_refused_amount_is_explained_and_changes_nothing(funded, client):
    answer = client.post(reverse("center:withdrawals"), {"amount": "5000", "request_token": form_token(client)})
    assert "提现金额超过可提现余额 ¥1,000.00" in answer.content.decode()
    assert not Withdrawal.objects.exists()
    assert balances_of(funded).withdrawable == Decimal("1000.00")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e3", "请输入金额"),
        ("1_000", "请输入金额"),
        ("+5", "请输入金额"),
        ("１００", "请输入金额"),  # full-width digits
        ("NaN", "请输入金额"),
        ("Infinity", "请输入金额"),
        ("100.", "请输入金额"),
        ("12.345", "两位小数"),
    ],
)
def test_an_amount_that_is_not_plain_ascii_yuan_is_a_form_error(funded, client, typed, message):
    answer = client.post(reverse("center:withdrawals"), {"amount": typed, "request_token": form_token(client)})
    assert answer.status_code == 200 and message in answer.content.decode()
    assert not Withdrawal.objects.exists()
    assert balances_of(funded).withdrawable == Decimal("1000.00")


@pytest.mark.parametrize("typed", ["-5", "-0.01", "-0", "0", "0.00", "0.99"])
def test_an_amount_below_the_minimum_zero_and_negative_included_is_told_the_minimum(funded, client, typed):
    answer = client.post(reverse("center:withdrawals"), {"amount": typed, "request_token": form_token(client)})
    page = answer.content.decode()
    assert answer.status_code == 200 and "单次提现至少 ¥1.00。" in page
    assert "请输入金额" not in page and "大于 0" not in page
    assert not Withdrawal.objects.exists()
    assert balances_of(funded).withdrawable == Decimal("1000.00")


def test_a_negative_amount_is_told_the_minimum_in_english_too(funded, client):
    client.cookies["django_language"] = "en"
    answer = client.post(reverse("center:withdrawals"), {"amount": "-5", "request_token": form_token(client)})
    assert "The minimum withdrawal is ¥1.00." in answer.content.decode()
    assert not Withdrawal.objects.exists()


@pytest.mark.parametrize("minimum", ["1.00", "5.00"])
def test_the_amount_inputs_minimum_is_the_withdrawal_minimum(funded, client, settings, minimum):
    settings.WITHDRAWAL_MINIMUM = minimum
    page = client.get(reverse("center:withdrawals")).content.decode()
    amount_input = re.search(r'<input[^>]*name="amount"[^>]*>', page)[0]
    assert re.search(r' min="([^"]+)"', amount_input)[1] == str(withdrawal_minimum()) == minimum
    assert f"单次至少 ¥{minimum}。" in page


def test_the_sentences_above_the_amount_join_as_chinese_and_english_join(funded, client):
    chinese = client.get(reverse("center:withdrawals")).content.decode()
    assert f"提现到已绑定的支付宝账号 {funded.masked_alipay_account}。单次至少 ¥1.00。个人所得税由平台代缴" in chinese
    assert not re.search(r"。\s", chinese)  # HTML shows a space there: Chinese sentences join without one
    client.cookies["django_language"] = "en"
    english = client.get(reverse("center:withdrawals")).content.decode()
    assert f"Alipay account {funded.masked_alipay_account}. The minimum is ¥1.00 per withdrawal." in english


def test_a_plain_amount_with_spaces_around_it_is_read(funded, client):
    client.post(
        reverse("center:withdrawals"), {"amount": " 100.5 ", "request_token": form_token(client), "confirm": "1"}
    )
    assert Withdrawal.objects.get().amount == Decimal("100.50")


def test_the_same_form_posted_twice_makes_one_withdrawal(funded, client):
    data = {"amount": "100", "request_token": form_token(client), "confirm": "1"}
    client.post(reverse("center:withdrawals"), data)
    client.post(reverse("center:withdrawals"), data)
    assert Withdrawal.objects.count() == 1


def test_an_ambassador_without_alipay_is_sent_to_bind_it(verified_ambassador, client):
    client.force_login(verified_ambassador.user)
    page = client.get(reverse("center:withdrawals")).content.decode()
    assert "绑定支付宝账号后才能提现" in page
    assert 'name="amount"' not in page


def test_only_the_ambassadors_own_withdrawals_are_listed(funded, client, alipay_settings):
    other = BoundAmbassadorFactory()
    Withdrawal.objects.create(
        ambassador=other, amount=Decimal("77.77"), request_token="00000000-0000-4000-8000-000000000077"
    )
    assert "77.77" not in client.get(reverse("center:withdrawals")).content.decode()


def test_the_tax_page_shows_the_months_record_masked(
    funded, client, alipay_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("center:withdrawals"), {"amount": "1000", "request_token": form_token(client), "confirm": "1"}
        )
    page = client.get(reverse("center:tax")).content.decode()
    assert "平台代缴" in page and "¥1,000.00" in page and "¥1,050.00" in page  # 1,000 net is 1,050 gross
    assert funded.masked_id_number in page
    assert str(funded.id_number) not in page


def test_r11_3_the_income_is_labour_remuneration_and_nothing_of_it_goes_anywhere_but_to_the_ambassador(
    funded, client, alipay_settings, alipay_gateway, django_capture_on_commit_callbacks, mailoutbox
):
    """What the portal can show of R11.3: the 税务 page names the category, apart from wages, and
    says the employer is told nothing; paying sends out one transfer of the net amount to the
    ambassador's own account, with no tax figure and no ID number in it, and no e-mail."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("center:withdrawals"), {"amount": "1000", "request_token": form_token(client), "confirm": "1"}
        )
    page = client.get(reverse("center:tax")).content.decode()
    assert "云大使返利属于劳务报酬所得" in page
    assert "与工资薪金所得是并列的两类所得，分开计税" in page and "平台不会向它提供这笔收入的任何信息" in page
    assessment = TaxAssessment.objects.get()
    [transfer] = [request for request in alipay_gateway.requests if request.method == TRANSFER]
    paid = json.loads(transfer.params["biz_content"])
    assert (paid["trans_amount"], paid["payee_info"]["identity"]) == ("1000.00", str(funded.alipay_account))
    sent = json.dumps(transfer.params, ensure_ascii=False)
    for kept_in_the_portal in (f"{assessment.tax}", f"{assessment.gross_income}", str(funded.id_number)):
        assert kept_in_the_portal not in sent
    assert mailoutbox == []


def test_cancelling_states_and_posts_the_forfeit(funded, client):
    paid_order(funded, amount="400.00", paid="2026-12-01 10:00")  # 100 pending
    page = client.get(reverse("center:cancel")).content.decode()
    assert "¥1,100.00" in page
    client.post(reverse("center:cancel"), {"understood": "on", "password": "correct horse battery"})
    figures = balances_of(funded)
    assert (figures.pending, figures.withdrawable, figures.forfeited) == (
        Decimal("0.00"), Decimal("0.00"), Decimal("1100.00"),
    )  # fmt: skip
    assert Posting.objects.filter(kind=Posting.Kind.FORFEIT).count() == 1
    settlement_run(date(2027, 1, 5))  # nothing of a cancelled ambassador settles afterwards
    assert balances_of(funded).withdrawable == Decimal("0.00")


# The confirmation step, "全部提现" and the state asked for without a reload.

CONFIRM_MOMENT = at("2026-12-15 10:00")


@pytest.fixture
def well_funded(bound_ambassador, current_rules, client):
    """4,000 withdrawable (a 16,000 member first purchase at 25%), on a fixed day of December."""
    paid_order(bound_ambassador, amount="16000.00", paid="2026-11-10 10:00")
    settlement_run(date(2026, 12, 10))
    client.force_login(bound_ambassador.user)
    with time_machine.travel(CONFIRM_MOMENT, tick=False):
        yield bound_ambassador


def withdraw(client, amount, **extra):
    return client.post(reverse("center:withdrawals"), {"amount": amount, "request_token": form_token(client)} | extra)


def test_the_amount_alone_shows_a_confirmation_and_withdraws_nothing(funded, client):
    """R11.1: the first step states the amount and the bound account (masked); only the
    confirmation's button withdraws."""
    answer = withdraw(client, "250")
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "确认提现" in page and "¥250.00" in page
    assert funded.masked_alipay_account in page and funded.masked_legal_name in page
    assert str(funded.alipay_account) not in page
    assert 'name="confirm"' in page
    assert not Withdrawal.objects.exists()
    assert balances_of(funded).withdrawable == Decimal("1000.00")


def test_r11_2_the_confirmation_states_the_tax_the_platform_pays_as_the_assessment_will_record_it(
    well_funded, client, alipay_settings, alipay_gateway, django_capture_on_commit_callbacks
):
    """One month's payments are one payment: after 3,000 paid this month (550 of tax), 1,000 more
    makes the month 4,000 (761.90 of tax), so this one bears 211.90; the confirmation says so, and
    says the platform bears it, and the record made when Alipay pays holds the same figure."""
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(client, "3000", confirm="1")
    assert TaxAssessment.objects.get().tax == Decimal("550.00")

    page = withdraw(client, "1000").content.decode()
    assert "<strong>¥211.90</strong>，由平台承担并代缴，不从你的提现中扣除" in page
    assert "2026-12 累计到手 ¥4,000.00，当月个税 ¥761.90，此前已代缴 ¥550.00" in page
    assert Withdrawal.objects.count() == 1

    token = re.search(r'name="request_token" value="([^"]+)"', page)[1]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("center:withdrawals"), {"amount": "1000.00", "request_token": token, "confirm": "1"})
    latest = TaxAssessment.objects.order_by("-pk").first()
    assert (latest.tax_this_payment, latest.tax) == (Decimal("211.90"), Decimal("761.90"))


def test_the_confirmation_refuses_what_the_request_would_refuse(funded, client):
    page = withdraw(client, "1000.01").content.decode()
    assert "提现金额超过可提现余额 ¥1,000.00" in page
    assert 'name="confirm"' not in page  # the form again, not a confirmation


def test_going_back_from_the_confirmation_keeps_the_amount(funded, client):
    page = withdraw(client, "250.00", edit="1").content.decode()
    assert 'name="amount"' in page and 'value="250.00"' in page
    assert 'name="confirm"' not in page
    assert not Withdrawal.objects.exists()


def test_the_confirmation_pressed_twice_makes_one_withdrawal(funded, client):
    page = withdraw(client, "100").content.decode()
    token = re.search(r'name="request_token" value="([^"]+)"', page)[1]
    for _ in range(2):
        client.post(reverse("center:withdrawals"), {"amount": "100.00", "request_token": token, "confirm": "1"})
    assert Withdrawal.objects.count() == 1
    assert balances_of(funded).withdrawable == Decimal("900.00")


def test_withdraw_all_offers_the_whole_withdrawable_amount(funded, client):
    page = client.get(reverse("center:withdrawals")).content.decode()
    assert 'data-fill-amount="1000.00"' in page and "全部提现" in page


def state_of(client, withdrawal_id):
    return client.get(f"/center/withdrawals/{withdrawal_id}/state")


def test_a_withdrawals_state_is_told_to_its_owner_as_json(
    funded, client, alipay_settings, django_capture_on_commit_callbacks
):
    """Paid: its state, Alipay's order number and the arrival time, the history's row as the page
    shows it, and the balances; never kept by a cache."""
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(client, "250", confirm="1")
    withdrawal = Withdrawal.objects.get()
    answer = state_of(client, withdrawal.pk)
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    state = answer.json()
    assert (state["withdrawal"], state["state"], state["final"]) == (withdrawal.out_biz_no, "succeeded", True)
    assert state["alipay_order_id"] == withdrawal.alipay_order_id != ""
    assert state["balances"]["withdrawable"] == "750.00" and state["balances"]["paid_out"] == "250.00"
    assert f'data-withdrawal="{withdrawal.pk}"' in state["row"] and "data-watch" not in state["row"]
    assert withdrawal.alipay_order_id in state["row"] and "已到账" in state["row"]


def test_a_withdrawal_on_its_way_is_watched(funded, client):
    """Requested, the worker not run yet: not final, and its row asks to be watched."""
    withdraw(client, "250", confirm="1")
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.state == Withdrawal.State.REQUESTED
    state = state_of(client, withdrawal.pk).json()
    assert (state["state"], state["final"], state["alipay_order_id"]) == ("requested", False, "")
    assert "data-watch" in state["row"]
    assert "data-watch" in client.get(reverse("center:withdrawals")).content.decode()


def test_another_ambassadors_withdrawal_is_not_found(funded, client):
    other = BoundAmbassadorFactory()
    theirs = Withdrawal.objects.create(
        ambassador=other, amount=Decimal("77.77"), request_token="00000000-0000-4000-8000-000000000078"
    )
    answer = state_of(client, theirs.pk)
    assert answer.status_code == 404
    assert "77.77" not in answer.content.decode()


@pytest.mark.parametrize("wanted", ["0", "9" * 18, "9" * 40])
def test_a_withdrawal_id_that_names_none_is_not_found(funded, client, wanted):
    answer = state_of(client, wanted)
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["field"] == "withdrawal"


@pytest.mark.parametrize("wanted", ["abc", "-1", "1.5", "１"])
def test_a_withdrawal_state_url_without_a_number_is_no_page(funded, client, wanted):
    assert state_of(client, wanted).status_code == 404


def test_a_withdrawals_state_is_only_read(funded, client):
    withdraw(client, "250", confirm="1")
    withdrawal = Withdrawal.objects.get()
    answer = client.post(f"/center/withdrawals/{withdrawal.pk}/state")
    assert answer.status_code == 405
    assert Withdrawal.objects.get().state == withdrawal.state


def test_a_row_on_its_way_names_the_url_of_its_state(funded, client):
    withdraw(client, "250", confirm="1")
    withdrawal = Withdrawal.objects.get()
    page = client.get(reverse("center:withdrawals")).content.decode()
    assert f'data-watch="/center/withdrawals/{withdrawal.pk}/state"' in page
