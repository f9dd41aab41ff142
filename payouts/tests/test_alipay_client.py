"""The Alipay client against the fake gateway: every answer sorted so a payout is never paid twice
nor marked failed after the money moved (R11.1). Real HTTP and real RSA2 on both sides."""

import json
import time
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payouts.alipay import AlipayClient, TransferOutcome, TransferStatus, outcome_of_query, outcome_of_transfer
from payouts.tests.alipay_fixtures import *  # noqa: F403  (the fixtures, until the conftest imports them)
from payouts.tests.alipay_fixtures import CLIENT_TIMEOUT_SECONDS, GATEWAY_SLOW_SECONDS
from tests.alipay_fake.gateway import TRANSFER


def pay(client, out_biz_no="W-1", amount="12.30"):
    return client.transfer(
        out_biz_no=out_biz_no,
        amount=Decimal(amount),
        payee_account="ambassador@example.com",
        payee_name="张三",
        title="云大使返利提现",
    )


def test_success_pays_once_with_a_correctly_signed_request(alipay_client, alipay_gateway):
    outcome = pay(alipay_client)

    payment = alipay_gateway.payments["W-1"]
    assert outcome == TransferOutcome(TransferStatus.SUCCEEDED, alipay_order_id=payment.order_id)
    assert (payment.amount, payment.payee_account, payment.payee_name) == (
        Decimal("12.30"),
        "ambassador@example.com",
        "张三",
    )
    request = alipay_gateway.requests[-1]
    assert request.method == TRANSFER and request.signature_ok
    assert json.loads(request.params["biz_content"]) == {
        "out_biz_no": "W-1",
        "trans_amount": "12.30",
        "product_code": "TRANS_ACCOUNT_NO_PWD",
        "biz_scene": "DIRECT_TRANSFER",
        "order_title": "云大使返利提现",
        "payee_info": {"identity": "ambassador@example.com", "identity_type": "ALIPAY_LOGON_ID", "name": "张三"},
    }


def test_a_request_signed_with_another_key_is_refused_and_nothing_is_paid(alipay_keys, alipay_gateway, tmp_path):
    wrong_key = tmp_path / "wrong.pem"
    wrong_key.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    settings = alipay_keys.client_settings(gateway=alipay_gateway.url, timeout_seconds=CLIENT_TIMEOUT_SECONDS)
    impostor = AlipayClient(**{**settings, "app_private_key_path": wrong_key})

    outcome = pay(impostor)

    assert outcome.status == TransferStatus.UNKNOWN
    assert outcome.code == "UNSIGNED_RESPONSE" and "isv.invalid-signature" in outcome.message
    assert not alipay_gateway.requests[-1].signature_ok
    assert (alipay_gateway.refused_requests, alipay_gateway.paid_count, alipay_gateway.payments) == (1, 0, {})


@pytest.mark.parametrize(
    "sub_code", ["PAYEE_NOT_EXIST", "PAYEE_USER_INFO_ERROR", "PAYER_BALANCE_NOT_ENOUGH", "PAYEE_ACCOUNT_STATUS_ERROR"]
)
def test_a_definite_refusal_is_failed_with_its_code(alipay_client, alipay_gateway, sub_code):
    alipay_gateway.script("W-1", sub_code)

    outcome = pay(alipay_client)

    assert (outcome.status, outcome.code, outcome.alipay_order_id) == (TransferStatus.FAILED, sub_code, "")
    assert outcome.message  # Alipay's sub_msg, for the finance staff
    assert alipay_gateway.payments == {}


@pytest.mark.parametrize(
    ("behaviour", "code"), [("SYSTEM_ERROR", "SYSTEM_ERROR"), ("service_unavailable", "isp.unknow-error")]
)
def test_a_system_error_is_unknown_and_pays_nothing(alipay_client, alipay_gateway, behaviour, code):
    alipay_gateway.script(None, behaviour)

    outcome = pay(alipay_client)

    assert (outcome.status, outcome.code) == (TransferStatus.UNKNOWN, code)
    assert alipay_gateway.payments == {}
    assert alipay_client.query(out_biz_no="W-1").status == TransferStatus.NOT_FOUND


def test_an_answer_lost_after_paying_is_unknown_then_found_and_a_retry_pays_once(alipay_client, alipay_gateway):
    alipay_gateway.script("W-1", "timeout_after_paying")

    started = time.monotonic()
    lost = pay(alipay_client)
    waited = time.monotonic() - started

    assert (lost.status, lost.code) == (TransferStatus.UNKNOWN, "TIMEOUT")
    assert CLIENT_TIMEOUT_SECONDS <= waited < GATEWAY_SLOW_SECONDS  # the client's timeout, not the SDK's 15 s
    order_id = alipay_gateway.payments["W-1"].order_id
    assert alipay_client.query(out_biz_no="W-1") == TransferOutcome(TransferStatus.SUCCEEDED, alipay_order_id=order_id)

    retried = pay(alipay_client)

    assert retried == TransferOutcome(TransferStatus.SUCCEEDED, alipay_order_id=order_id)
    assert (alipay_gateway.transfer_requests, alipay_gateway.paid_count, len(alipay_gateway.payments)) == (2, 1, 1)


def test_a_retry_with_other_parameters_is_not_taken_for_a_failure(alipay_client, alipay_gateway):
    assert pay(alipay_client).status == TransferStatus.SUCCEEDED

    outcome = pay(alipay_client, amount="99.00")

    assert (outcome.status, outcome.code) == (TransferStatus.UNKNOWN, "PAYMENT_INFO_INCONSISTENCY")
    assert alipay_gateway.paid_count == 1


def test_an_answer_with_a_bad_signature_is_refused(alipay_client, alipay_gateway):
    alipay_gateway.script(None, "bad_signature")

    outcome = pay(alipay_client)

    assert (outcome.status, outcome.code, outcome.alipay_order_id) == (TransferStatus.UNKNOWN, "BAD_SIGNATURE", "")
    assert "W-1" in alipay_gateway.payments  # it did pay: only a query can say so
    assert alipay_client.query(out_biz_no="W-1").status == TransferStatus.SUCCEEDED


def test_query_of_an_unknown_out_biz_no_is_not_found(alipay_client):
    outcome = alipay_client.query(out_biz_no="never-sent")

    assert (outcome.status, outcome.code) == (TransferStatus.NOT_FOUND, "ORDER_NOT_EXIST")


def test_connection_refused_is_unknown_network_error(alipay_keys, alipay_gateway):
    settings = alipay_keys.client_settings(gateway=alipay_gateway.url, timeout_seconds=CLIENT_TIMEOUT_SECONDS)
    alipay_gateway.stop()  # nothing listens on the port any more
    client = AlipayClient(**settings)

    outcome = pay(client)

    assert (outcome.status, outcome.code) == (TransferStatus.UNKNOWN, "NETWORK_ERROR")
    assert client.query(out_biz_no="W-1").code == "NETWORK_ERROR"


def test_a_stall_times_requests_out_until_it_ends(alipay_client, alipay_gateway):
    alipay_gateway.stall(60)

    assert pay(alipay_client).code == "TIMEOUT"
    assert alipay_gateway.payments == {}

    alipay_gateway.stall(0)

    assert pay(alipay_client).status == TransferStatus.SUCCEEDED


def test_from_settings_pays_the_configured_gateway(alipay_settings, alipay_gateway):
    assert pay(AlipayClient.from_settings()).status == TransferStatus.SUCCEEDED
    assert alipay_gateway.paid_count == 1


@pytest.mark.parametrize("amount", [Decimal("12.345"), Decimal("0"), 12.3])
def test_an_amount_that_is_not_yuan_and_fen_is_a_programming_error(alipay_client, alipay_gateway, amount):
    with pytest.raises(ValueError):
        alipay_client.transfer(out_biz_no="W-1", amount=amount, payee_account="a@b.cn", payee_name="张三", title="t")
    assert alipay_gateway.requests == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"code": "10000", "status": "SUCCESS", "order_id": "O1"}, (TransferStatus.SUCCEEDED, "", "O1")),
        (
            {"code": "10000", "status": "FAIL", "error_code": "PAYEE_NOT_EXIST"},
            (TransferStatus.FAILED, "PAYEE_NOT_EXIST", ""),
        ),
        ({"code": "10000", "status": "REFUND", "order_id": "O1"}, (TransferStatus.FAILED, "REFUND", "O1")),
        ({"code": "10000", "status": "DEALING", "order_id": "O1"}, (TransferStatus.UNKNOWN, "DEALING", "O1")),
        ({"code": "10000", "status": "WAIT_PAY"}, (TransferStatus.UNKNOWN, "WAIT_PAY", "")),
        ({"code": "40004", "sub_code": "ORDER_NOT_EXIST"}, (TransferStatus.NOT_FOUND, "ORDER_NOT_EXIST", "")),
        ({"code": "40004", "sub_code": "SYSTEM_ERROR"}, (TransferStatus.UNKNOWN, "SYSTEM_ERROR", "")),
        ({"code": "20000", "sub_code": "isp.unknow-error"}, (TransferStatus.UNKNOWN, "isp.unknow-error", "")),
    ],
)
def test_query_answers_are_sorted(answer, expected):
    outcome = outcome_of_query(answer)

    assert (outcome.status, outcome.code, outcome.alipay_order_id) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"code": "10000", "status": "DEALING", "out_biz_no": "W-1"}, (TransferStatus.UNKNOWN, "DEALING")),
        ({"code": "10000", "status": "SUCCESS", "out_biz_no": "W-2"}, (TransferStatus.UNKNOWN, "BAD_RESPONSE")),
        ({"code": "40004", "sub_code": "SOMETHING_NEW"}, (TransferStatus.UNKNOWN, "SOMETHING_NEW")),
        (
            {"code": "40004", "sub_code": "PAYMENT_INFO_INCONSISTENCY"},
            (TransferStatus.UNKNOWN, "PAYMENT_INFO_INCONSISTENCY"),
        ),
        ({"code": "40004", "sub_code": "EXCEED_LIMIT_SM_AMOUNT"}, (TransferStatus.FAILED, "EXCEED_LIMIT_SM_AMOUNT")),
        ({"code": "40002", "sub_code": "isv.invalid-app-id"}, (TransferStatus.UNKNOWN, "isv.invalid-app-id")),
    ],
)
def test_transfer_answers_are_sorted(answer, expected):
    outcome = outcome_of_transfer(answer, "W-1")

    assert (outcome.status, outcome.code) == expected
