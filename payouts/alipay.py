"""The portal's one door to Alipay: fund transfers for withdrawals (R11.1), and their status.

Everything else in the project talks to AlipayClient, never to python-alipay-sdk, so the SDK's
private attributes (`_gateway`, `_config`) are set here and nowhere else.

A payout must never be paid twice, and must never be marked failed when the money moved. So the
client sorts every answer into four outcomes and says "unknown" whenever it cannot be sure:
a timeout, a lost connection, a system error, an answer it does not recognise and, above all, an
answer whose signature does not verify (a forged "failed" could otherwise make the caller pay
again). The caller resolves UNKNOWN by `query`, or by retrying `transfer` with the SAME
out_biz_no: Alipay pays an out_biz_no at most once. Gateway faults never raise; they are returned
and logged on "payouts.alipay". Personal data (payee account and name) is never logged.
"""

import binascii
import http.client
import logging
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from urllib.error import HTTPError, URLError

from alipay import DCAliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal.kernel.money import round_yuan

logger = logging.getLogger("payouts.alipay")

TRANSFER = "alipay.fund.trans.uni.transfer"
QUERY = "alipay.fund.trans.common.query"
PRODUCT = {"product_code": "TRANS_ACCOUNT_NO_PWD", "biz_scene": "DIRECT_TRANSFER"}
# Alipay reads the request timestamp as Beijing time and refuses one too far off; the SDK would
# send the host's naive local time, which is wrong on a UTC server. China has no DST.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

# alipay.fund.trans.uni.transfer business errors (code 40004) that mean Alipay refused the transfer
# and moved no money. Anything not listed, SYSTEM_ERROR included, stays UNKNOWN. Deliberately absent:
# PAYMENT_INFO_INCONSISTENCY (the out_biz_no was already used with other parameters: it may be paid).
DEFINITE_FAILURES = frozenset(
    {
        "PAYEE_NOT_EXIST",
        "PAYEE_ACCOUNT_NOT_EXSIT",  # sic, as Alipay spells it
        "PAYEE_USER_INFO_ERROR",
        "PAYEE_ACCOUNT_STATUS_ERROR",
        "PAYEE_CERT_INFO_ERROR",
        "PAYEE_NOT_RELNAME_CERTIFY",
        "PAYEE_ACC_OCUPIED",  # sic
        "PAYER_BALANCE_NOT_ENOUGH",
        "PAYER_PAYEE_CANNOT_SAME",
        "PAYCARD_UNABLE_PAYMENT",
        "EXCEED_LIMIT_SM_AMOUNT",
        "EXCEED_LIMIT_SM_MIN_AMOUNT",
        "EXCEED_LIMIT_DM_AMOUNT",
        "EXCEED_LIMIT_MM_AMOUNT",
        "INVALID_PARAMETER",
    }
)


class TransferStatus(StrEnum):
    SUCCEEDED = "succeeded"  # the money reached the payee
    FAILED = "failed"  # Alipay refused; no money moved
    UNKNOWN = "unknown"  # may or may not have moved: query, or retry with the same out_biz_no
    NOT_FOUND = "not_found"  # query only: Alipay has no transfer with this out_biz_no


@dataclass(frozen=True)
class TransferOutcome:
    status: TransferStatus
    # Alipay's sub_code, or a local one: TIMEOUT, NETWORK_ERROR, BAD_SIGNATURE, UNSIGNED_RESPONSE, BAD_RESPONSE
    code: str = ""
    message: str = ""  # Alipay's sub_msg or a short description
    alipay_order_id: str = ""  # Alipay's order_id when known


def outcome_of_transfer(answer: dict, out_biz_no: str) -> TransferOutcome:
    """Sorts a verified alipay.fund.trans.uni.transfer answer; anything unexpected is UNKNOWN."""
    code, sub_code, sub_msg = str(answer.get("code", "")), answer.get("sub_code", ""), answer.get("sub_msg", "")
    if code == "10000":
        if answer.get("out_biz_no", out_biz_no) != out_biz_no:
            return TransferOutcome(TransferStatus.UNKNOWN, "BAD_RESPONSE", "answer for another out_biz_no")
        order_id = answer.get("order_id", "")
        if answer.get("status") == "SUCCESS":
            return TransferOutcome(TransferStatus.SUCCEEDED, alipay_order_id=order_id)
        return TransferOutcome(TransferStatus.UNKNOWN, answer.get("status", ""), "transfer not final", order_id)
    if code == "40004" and sub_code in DEFINITE_FAILURES:
        return TransferOutcome(TransferStatus.FAILED, sub_code, sub_msg)
    return TransferOutcome(TransferStatus.UNKNOWN, sub_code or code, sub_msg or answer.get("msg", ""))


def outcome_of_query(answer: dict) -> TransferOutcome:
    """Sorts a verified alipay.fund.trans.common.query answer.

    NOT_FOUND is only safe to act on once no transfer request for the out_biz_no can still be in
    flight; even then the safe action is a transfer with the same out_biz_no.
    """
    code, sub_code = str(answer.get("code", "")), answer.get("sub_code", "")
    if code == "10000":
        status, order_id = answer.get("status", ""), answer.get("order_id", "")
        if status == "SUCCESS":
            return TransferOutcome(TransferStatus.SUCCEEDED, alipay_order_id=order_id)
        if status in ("FAIL", "REFUND"):
            reason = answer.get("error_code") or status
            return TransferOutcome(TransferStatus.FAILED, reason, answer.get("fail_reason", ""), order_id)
        return TransferOutcome(TransferStatus.UNKNOWN, status, "transfer not final", order_id)
    if code == "40004" and sub_code == "ORDER_NOT_EXIST":
        return TransferOutcome(TransferStatus.NOT_FOUND, sub_code, answer.get("sub_msg", ""))
    return TransferOutcome(TransferStatus.UNKNOWN, sub_code or code, answer.get("sub_msg") or answer.get("msg", ""))


class AlipayClient:
    """DCAliPay (certificate mode, RSA2) pointed at a configurable gateway, with a real timeout."""

    def __init__(
        self,
        *,
        app_id,
        gateway,
        app_private_key_path,
        app_cert_path,
        alipay_public_cert_path,
        alipay_root_cert_path,
        timeout_seconds=10.0,
    ):
        self.gateway = gateway
        self.timeout_seconds = float(timeout_seconds)
        self._sdk = DCAliPay(
            appid=app_id,
            app_private_key_string=Path(app_private_key_path).read_text(),
            app_public_key_cert_string=Path(app_cert_path).read_text(),
            alipay_public_key_cert_string=Path(alipay_public_cert_path).read_text(),
            alipay_root_cert_string=Path(alipay_root_cert_path).read_text(),
            sign_type="RSA2",
        )
        # The SDK chooses the gateway in __init__ from `debug` and has no public setting for it.
        self._sdk._gateway = gateway
        # DCAliPay.__init__ does not pass `config` on to BaseAliPay, so the SDK would use
        # AliPayConfig's default of 15 s. Its request is `urlopen(url, timeout=self._config.timeout)`:
        # the timeout bounds the connect and each read (not DNS resolution, not the total), which is
        # enough for one small answer. TIMEOUT outcomes come from here.
        self._sdk._config = AliPayConfig(timeout=self.timeout_seconds)
        # The serial numbers are computed once and cached; do it now so broken certificates fail
        # at start-up, and so pyOpenSSL's X509Name deprecation warning stays out of the logs.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self._sdk.app_cert_sn, self._sdk.alipay_root_cert_sn  # noqa: B018

    @classmethod
    def from_settings(cls) -> "AlipayClient":
        config = settings.ALIPAY
        missing = [key for key, value in config.items() if value in ("", None)]
        if missing:
            raise ImproperlyConfigured(f"settings.ALIPAY is missing {', '.join(missing)} (see .env.example)")
        return cls(**config)

    def transfer(
        self, *, out_biz_no: str, amount: Decimal, payee_account: str, payee_name: str, title: str
    ) -> TransferOutcome:
        """Pays amount yuan to an Alipay logon id. Retrying with the same out_biz_no never pays twice."""
        if not isinstance(amount, Decimal) or round_yuan(amount) != amount or amount <= 0:
            raise ValueError(f"amount must be a positive Decimal of yuan with at most 2 places, not {amount!r}")
        biz_content = {
            "out_biz_no": out_biz_no,
            "trans_amount": f"{round_yuan(amount):.2f}",
            **PRODUCT,
            "order_title": title,
            "payee_info": {"identity": payee_account, "identity_type": "ALIPAY_LOGON_ID", "name": payee_name},
        }
        answer = self._call(TRANSFER, biz_content, out_biz_no)
        outcome = answer if isinstance(answer, TransferOutcome) else outcome_of_transfer(answer, out_biz_no)
        self._log("transfer", out_biz_no, outcome, amount=amount)
        return outcome

    def query(self, *, out_biz_no: str) -> TransferOutcome:
        """Where Alipay stands on out_biz_no's transfer."""
        answer = self._call(QUERY, {"out_biz_no": out_biz_no, **PRODUCT}, out_biz_no)
        outcome = answer if isinstance(answer, TransferOutcome) else outcome_of_query(answer)
        self._log("query", out_biz_no, outcome)
        return outcome

    def _call(self, method: str, biz_content: dict, out_biz_no: str) -> dict | TransferOutcome:
        """The verified inner answer, or an UNKNOWN outcome saying why there is none."""
        timestamp = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        try:
            # server_api is the SDK's generic signed call; it lets the timestamp be set (see BEIJING).
            return self._sdk.server_api(method, biz_content, timestamp=timestamp)
        except TimeoutError:  # the answer did not come in time
            return _unknown("TIMEOUT", f"no answer within {self.timeout_seconds:g} s")
        except HTTPError as exc:
            return _unknown("NETWORK_ERROR", f"HTTP {exc.code} from the gateway")
        except URLError as exc:  # connecting failed, or timed out
            if isinstance(exc.reason, TimeoutError):
                return _unknown("TIMEOUT", f"no connection within {self.timeout_seconds:g} s")
            return _unknown("NETWORK_ERROR", str(exc.reason))
        except (OSError, http.client.HTTPException) as exc:  # reset, refused mid-way, garbled HTTP
            return _unknown("NETWORK_ERROR", f"{type(exc).__name__}: {exc}")
        except (AliPayValidationError, binascii.Error):
            return _unknown("BAD_SIGNATURE", "answer signature does not verify; answer refused")
        except AliPayException as exc:  # the gateway answered without a signature (e.g. error_response)
            return _unknown("UNSIGNED_RESPONSE", f"unsigned answer refused: {str(exc)[:300]}")
        except Exception as exc:  # unparsable answer: never let a payout crash on it
            logger.exception("%s %s: unreadable answer from Alipay", method, out_biz_no)
            return _unknown("BAD_RESPONSE", f"{type(exc).__name__}: {str(exc)[:200]}")

    def _log(self, action: str, out_biz_no: str, outcome: TransferOutcome, *, amount: Decimal | None = None):
        level = logging.WARNING if outcome.status == TransferStatus.UNKNOWN else logging.INFO
        logger.log(
            level,
            "alipay %s %s%s: %s %s %s",
            action,
            out_biz_no,
            f" ({amount} yuan)" if amount is not None else "",
            outcome.status,
            outcome.code,
            outcome.message,
        )


def _unknown(code: str, message: str) -> TransferOutcome:
    return TransferOutcome(TransferStatus.UNKNOWN, code, message)
