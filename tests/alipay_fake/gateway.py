"""A local fake of Alipay's open-API gateway, so payouts (R11.1) run without Alipay.

Tests, the demo and the soak test all talk to it over real HTTP with real RSA2 on both sides, so
what they exercise is the same code path as production: the SDK signs, the fake verifies with the
app certificate's public key, and answers signed with its own "Alipay" key, which the SDK checks.

It keeps its own record of money moved by out_biz_no and, like Alipay, pays an out_biz_no at most
once: a repeated transfer of a paid out_biz_no answers the same success with the same order_id.
Faults are scripted between requests (`script`, `stall`) to reproduce what a payout service must
survive: definite refusals, system errors, answers lost after the money moved, forged answers.
"""

import base64
import binascii
import hashlib
import itertools
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

logger = logging.getLogger("tests.alipay_fake")

FAKE_APP_ID = "2021000000000001"
TRANSFER = "alipay.fund.trans.uni.transfer"
QUERY = "alipay.fund.trans.common.query"
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # Alipay's clock; China has no DST
TIMESTAMP_TOLERANCE = timedelta(minutes=15)

# Behaviours of the next transfer (see FakeAlipayGateway.script).
SUCCESS = "success"
SYSTEM_ERROR = "SYSTEM_ERROR"  # 40004 SYSTEM_ERROR, nothing paid
SERVICE_UNAVAILABLE = "service_unavailable"  # 20000 isp.unknow-error, nothing paid
TIMEOUT_AFTER_PAYING = "timeout_after_paying"  # pays, then answers only after the client gave up
BAD_SIGNATURE = "bad_signature"  # pays, answers with a signature that does not verify
# Definite refusals (40004 with this sub_code): nothing paid.
BUSINESS_FAILURES = {
    "PAYEE_NOT_EXIST": "收款账号不存在",
    "PAYEE_USER_INFO_ERROR": "支付宝账号和姓名不匹配，请确认姓名是否正确",
    "PAYER_BALANCE_NOT_ENOUGH": "付款方余额不足",
    "PAYEE_ACCOUNT_STATUS_ERROR": "收款方账号异常",
    "PAYEE_CERT_INFO_ERROR": "收款方证件信息不匹配",
    "EXCEED_LIMIT_SM_AMOUNT": "单笔额度超限",
    "INVALID_PARAMETER": "参数有误",
}
BEHAVIOURS = frozenset({SUCCESS, SYSTEM_ERROR, SERVICE_UNAVAILABLE, TIMEOUT_AFTER_PAYING, BAD_SIGNATURE}) | set(
    BUSINESS_FAILURES
)


# --- keys and certificates -------------------------------------------------------------------


@dataclass(frozen=True)
class KeySet:
    """Where one consistent set of fake Alipay keys and certificates lives (PEM files)."""

    directory: Path

    @property
    def root_cert(self) -> Path:
        return self.directory / "alipay_root_cert.pem"

    @property
    def app_private_key(self) -> Path:
        return self.directory / "app_private_key.pem"

    @property
    def app_cert(self) -> Path:
        return self.directory / "app_cert.pem"

    @property
    def alipay_private_key(self) -> Path:
        return self.directory / "alipay_private_key.pem"

    @property
    def alipay_cert(self) -> Path:
        return self.directory / "alipay_cert.pem"

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.root_cert, self.app_private_key, self.app_cert, self.alipay_private_key, self.alipay_cert)

    def client_settings(self, *, gateway: str, app_id: str = FAKE_APP_ID, timeout_seconds: float = 10.0) -> dict:
        """The `settings.ALIPAY` dict that points the portal's client at a fake using these keys."""
        return {
            "app_id": app_id,
            "gateway": gateway,
            "app_private_key_path": str(self.app_private_key),
            "app_cert_path": str(self.app_cert),
            "alipay_public_cert_path": str(self.alipay_cert),
            "alipay_root_cert_path": str(self.root_cert),
            "timeout_seconds": timeout_seconds,
        }


def _name(common_name: str) -> x509.Name:
    # The SDK's certificate serial numbers read C, O, OU and CN of the issuer: all four must be set.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ambassador Portal Fake Alipay"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Payouts"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(subject, public_key, issuer, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _write_key(path: Path, key) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)


def generate_keys(directory) -> KeySet:
    """Writes a root, an app key + certificate and an "Alipay" key + certificate into directory.

    An existing complete set is reused, so the demo's certificates survive restarts; a partial
    set is replaced whole, because its pieces would no longer match.
    """
    keys = KeySet(Path(directory).resolve())
    if all(path.exists() for path in keys.files):
        return keys
    keys.directory.mkdir(parents=True, exist_ok=True)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name("Fake Alipay Root CA")
    root = _certificate(root_name, root_key.public_key(), root_name, root_key, ca=True)
    app_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    app = _certificate(_name(f"App {FAKE_APP_ID}"), app_key.public_key(), root_name, root_key, ca=False)
    alipay_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    alipay = _certificate(_name("Fake Alipay"), alipay_key.public_key(), root_name, root_key, ca=False)
    keys.root_cert.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    _write_key(keys.app_private_key, app_key)
    keys.app_cert.write_bytes(app.public_bytes(serialization.Encoding.PEM))
    _write_key(keys.alipay_private_key, alipay_key)
    keys.alipay_cert.write_bytes(alipay.public_bytes(serialization.Encoding.PEM))
    return keys


def cert_sn(cert: x509.Certificate) -> str:
    """Alipay's certificate serial number: md5 of the issuer's CN, OU, O, C and the serial."""
    issuer = cert.issuer

    def field(oid):
        values = issuer.get_attributes_for_oid(oid)
        return values[0].value if values else None

    cn, ou, o, c = (
        field(oid)
        for oid in (
            NameOID.COMMON_NAME,
            NameOID.ORGANIZATIONAL_UNIT_NAME,
            NameOID.ORGANIZATION_NAME,
            NameOID.COUNTRY_NAME,
        )
    )
    name = f"CN={cn},OU={ou},O={o},C={c}"
    return hashlib.md5((name + str(cert.serial_number)).encode()).hexdigest()


# --- the gateway -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    """Money the fake moved: one per paid out_biz_no."""

    out_biz_no: str
    amount: Decimal
    order_id: str
    pay_fund_order_id: str
    payee_account: str
    payee_name: str
    paid_at: str


@dataclass(frozen=True)
class GatewayRequest:
    """One request as the fake saw it, for tests to inspect."""

    method: str
    out_biz_no: str
    signature_ok: bool
    params: dict


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.gateway._handle(self, dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        params.update(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
        self.server.gateway._handle(self, params)

    def log_message(self, format, *args):
        logger.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a held request must not keep stop() waiting

    def __init__(self, address, gateway):
        super().__init__(address, _Handler)
        self.gateway = gateway


class FakeAlipayGateway:
    """Alipay's gateway for `alipay.fund.trans.uni.transfer` and `alipay.fund.trans.common.query`.

    slow_seconds is how long a request is held by `timeout_after_paying` and `stall`: keep it
    longer than the client's timeout. Use as a context manager, or start() and stop().
    """

    def __init__(self, keys: KeySet, *, app_id: str = FAKE_APP_ID, host="127.0.0.1", port=0, slow_seconds=15.0):
        self.keys = keys
        self.app_id = app_id
        self.slow_seconds = slow_seconds
        self._address = (host, port)
        app_cert = x509.load_pem_x509_certificate(keys.app_cert.read_bytes())
        alipay_cert = x509.load_pem_x509_certificate(keys.alipay_cert.read_bytes())
        root_cert = x509.load_pem_x509_certificate(keys.root_cert.read_bytes())
        self._app_public_key = app_cert.public_key()
        self._app_cert_sn = cert_sn(app_cert)
        self._root_cert_sn = cert_sn(root_cert)
        self._alipay_cert_sn = cert_sn(alipay_cert)
        self._alipay_key = serialization.load_pem_private_key(keys.alipay_private_key.read_bytes(), password=None)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._order_numbers = itertools.count(1)
        self._payments: dict[str, Payment] = {}
        self._requests: list[GatewayRequest] = []
        self._scripts: dict[str | None, deque[str]] = {}
        self._stall_until = 0.0
        self._stall_paying = False
        self.transfer_requests = 0  # transfers that passed the signature check
        self.refused_requests = 0  # requests refused before any business logic (signature, app, clock)
        self.paid_count = 0  # times money moved: equals len(payments) unless idempotency broke

    # lifecycle

    def start(self) -> "FakeAlipayGateway":
        self._stopping.clear()
        self._server = _Server(self._address, self)
        # A short poll interval: shutdown() waits for the loop to notice, 0.5 s by default.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-alipay", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes held requests
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}/gateway.do"

    # fault knobs and records

    def script(self, out_biz_no: str | None, behaviour: str) -> None:
        """The next transfer of out_biz_no (None: the next transfer of any) behaves so, once.

        Calls queue up in order. A business failure scripted for an out_biz_no already paid is
        used up but answered with the earlier success, as Alipay would.
        """
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {sorted(BEHAVIOURS)}")
        with self._lock:
            self._scripts.setdefault(out_biz_no, deque()).append(behaviour)

    def stall(self, seconds: float, *, paying: bool = False) -> None:
        """For `seconds` from now every request is held for slow_seconds and dropped unanswered.

        With paying=True a held transfer is executed first (the money moves, the answer is lost).
        stall(0) ends a stall.
        """
        with self._lock:
            self._stall_until = time.monotonic() + seconds
            self._stall_paying = paying

    @property
    def payments(self) -> dict[str, Payment]:
        with self._lock:
            return dict(self._payments)

    @property
    def requests(self) -> list[GatewayRequest]:
        with self._lock:
            return list(self._requests)

    # request handling

    def _handle(self, handler: BaseHTTPRequestHandler, params: dict) -> None:
        method = params.get("method", "")
        response_key = method.replace(".", "_") + "_response"
        biz = self._biz_content(params)
        refusal = self._refusal(params)
        with self._lock:
            self._requests.append(
                GatewayRequest(method, str(biz.get("out_biz_no", "")), refusal is None or refusal[0] != "sig", params)
            )
            stalled = time.monotonic() < self._stall_until
            paying = self._stall_paying
            if refusal is not None:
                self.refused_requests += 1
        if stalled and not (paying and method == TRANSFER and refusal is None):
            self._hold()
            return
        if refusal is not None:
            self._send(handler, {"error_response": refusal[1], "alipay_cert_sn": self._alipay_cert_sn})
            return
        behaviour = SUCCESS
        if method == TRANSFER:
            inner, behaviour = self._transfer(biz)
        elif method == QUERY:
            inner = self._query(biz)
        else:
            inner = _error("40004", "INVALID_METHOD", f"fake gateway does not serve {method}")
        if stalled or behaviour == TIMEOUT_AFTER_PAYING:
            self._hold()
            if stalled:
                return
        self._send_signed(handler, response_key, inner, corrupt=behaviour == BAD_SIGNATURE)

    @staticmethod
    def _biz_content(params: dict) -> dict:
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            return {}
        return biz if isinstance(biz, dict) else {}

    def _refusal(self, params: dict) -> tuple[str, dict] | None:
        """Why Alipay would refuse this request before reading it, or None."""
        unsigned = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "")
        try:
            signature = base64.b64decode(params.get("sign", ""), validate=True)
            self._app_public_key.verify(signature, unsigned.encode(), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            return "sig", _error("40002", "isv.invalid-signature", "验签出错", msg="Invalid Arguments")
        if params.get("app_id") != self.app_id:
            return "app", _error("40002", "isv.invalid-app-id", "无效的AppID参数", msg="Invalid Arguments")
        if params.get("app_cert_sn") != self._app_cert_sn or params.get("alipay_root_cert_sn") != self._root_cert_sn:
            return "cert", _error("40002", "isv.cert-sn-mismatch", "证书序列号不匹配", msg="Invalid Arguments")
        try:
            sent = datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        except ValueError:
            sent = None
        if sent is None or abs(datetime.now(BEIJING) - sent) > TIMESTAMP_TOLERANCE:
            return "clock", _error("40002", "isv.invalid-timestamp", "非法的时间戳参数", msg="Invalid Arguments")
        return None

    def _next_behaviour(self, out_biz_no: str) -> str:
        for key in (out_biz_no, None):
            queue = self._scripts.get(key)
            if queue:
                return queue.popleft()
        return SUCCESS

    def _transfer(self, biz: dict) -> tuple[dict, str]:
        payee = biz.get("payee_info") or {}
        out_biz_no = str(biz.get("out_biz_no", ""))
        amount = _amount(biz.get("trans_amount"))
        with self._lock:
            self.transfer_requests += 1
            behaviour = self._next_behaviour(out_biz_no)
            if (
                not out_biz_no
                or amount is None
                or biz.get("product_code") != "TRANS_ACCOUNT_NO_PWD"
                or biz.get("biz_scene") != "DIRECT_TRANSFER"
                or payee.get("identity_type") != "ALIPAY_LOGON_ID"
                or not payee.get("identity")
                or not payee.get("name")  # required with ALIPAY_LOGON_ID
            ):
                return _error("40004", "INVALID_PARAMETER", "参数有误"), behaviour
            paid = self._payments.get(out_biz_no)
            if paid and (paid.amount, paid.payee_account, paid.payee_name) != (
                amount,
                payee["identity"],
                payee["name"],
            ):
                return _error("40004", "PAYMENT_INFO_INCONSISTENCY", "两次请求商户单号一样，但是参数不一致"), behaviour
            if behaviour in BUSINESS_FAILURES and not paid:
                return _error("40004", behaviour, BUSINESS_FAILURES[behaviour]), behaviour
            if behaviour == SYSTEM_ERROR:
                return _error("40004", "SYSTEM_ERROR", "系统繁忙"), behaviour
            if behaviour == SERVICE_UNAVAILABLE:
                return _error("20000", "isp.unknow-error", "系统繁忙", msg="Service Currently Unavailable"), behaviour
            if not paid:
                paid = self._pay(out_biz_no, amount, payee)
        answer = {
            "code": "10000",
            "msg": "Success",
            "out_biz_no": out_biz_no,
            "order_id": paid.order_id,
            "pay_fund_order_id": paid.pay_fund_order_id,
            "status": "SUCCESS",
            "trans_date": paid.paid_at,
        }
        return answer, behaviour

    def _pay(self, out_biz_no: str, amount: Decimal, payee: dict) -> Payment:
        number = next(self._order_numbers)
        now = datetime.now(BEIJING)
        payment = Payment(
            out_biz_no=out_biz_no,
            amount=amount,
            order_id=f"{now:%Y%m%d}110070{number:018d}",
            pay_fund_order_id=f"{now:%Y%m%d}110070{number + 500_000_000:018d}",
            payee_account=payee["identity"],
            payee_name=payee["name"],
            paid_at=f"{now:%Y-%m-%d %H:%M:%S}",
        )
        self._payments[out_biz_no] = payment
        self.paid_count += 1
        logger.info("fake Alipay paid %s yuan for %s (order %s)", amount, out_biz_no, payment.order_id)
        return payment

    def _query(self, biz: dict) -> dict:
        if biz.get("product_code") != "TRANS_ACCOUNT_NO_PWD" or biz.get("biz_scene") != "DIRECT_TRANSFER":
            return _error("40004", "INVALID_PARAMETER", "参数有误")
        with self._lock:
            paid = self._payments.get(str(biz.get("out_biz_no", "")))
        if paid is None:
            return _error("40004", "ORDER_NOT_EXIST", "转账订单不存在")
        return {
            "code": "10000",
            "msg": "Success",
            "order_id": paid.order_id,
            "pay_fund_order_id": paid.pay_fund_order_id,
            "out_biz_no": paid.out_biz_no,
            "trans_amount": f"{paid.amount:.2f}",
            "status": "SUCCESS",
            "pay_date": paid.paid_at,
        }

    def _hold(self) -> None:
        self._stopping.wait(self.slow_seconds)

    # answers

    def _send_signed(self, handler, response_key: str, inner: dict, *, corrupt: bool) -> None:
        # The SDK verifies the signature over the raw text of the inner object: sign exactly what is sent.
        text = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
        signed = b"a different answer" if corrupt else text.encode()
        sign = base64.b64encode(self._alipay_key.sign(signed, padding.PKCS1v15(), hashes.SHA256())).decode()
        body = f'{{"{response_key}":{text},"alipay_cert_sn":"{self._alipay_cert_sn}","sign":"{sign}"}}'
        self._write(handler, body)

    def _send(self, handler, answer: dict) -> None:
        self._write(handler, json.dumps(answer, ensure_ascii=False, separators=(",", ":")))

    @staticmethod
    def _write(handler, body: str) -> None:
        data = body.encode()
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json;charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the client gave up (timeout_after_paying): its loss, as with Alipay
            logger.debug("client gone before the answer")


def _error(code: str, sub_code: str, sub_msg: str, *, msg: str = "Business Failed") -> dict:
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def _amount(value) -> Decimal | None:
    """trans_amount as Alipay accepts it: a string of yuan with 2 places, at least 0.10."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if amount.as_tuple().exponent != -2 or amount < Decimal("0.10"):
        return None
    return amount
