"""The two cookies of the exclusive link (the exclusive link's contract, docs/ARCHITECTURE.md).

The referral cookie carries the visit (link code, visit id), signed with its
own salt; its signing time is the visit time, and it is refused after the
association window. The device cookie is a long-lived random id, signed so
it cannot be forged to collide with someone else's device.
"""

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.utils.encoding import force_bytes
from django.utils.http import http_date

from .rules import attribution_model

REFERRAL_COOKIE = "portal_ref"
REFERRAL_SALT = "referrals.referral-cookie"
DEVICE_COOKIE = "portal_device"
DEVICE_SALT = "referrals.device-cookie"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600


@dataclass(frozen=True)
class ReferralVisit:
    code: str
    visit_id: str
    visited_at: datetime


class _ReferralSigner(signing.TimestampSigner):
    """Django's TimestampSigner with its HMAC key (a hash of the salt and the secret) worked out once,
    not at every signature: the link signs a cookie on every click. The same signatures (tested)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._derived_key = hashlib.sha256(force_bytes(self.salt + "signer") + force_bytes(self.key)).digest()

    def signature(self, value, key=None):
        if (key is not None and key != self.key) or self.algorithm != "sha256":  # a fallback secret, when unsigning
            return super().signature(value, key)
        digest = hmac.new(self._derived_key, force_bytes(value), hashlib.sha256).digest()
        return signing.b64_encode(digest).decode()


@lru_cache(maxsize=4)
def _signer_for(secret, fallbacks):
    return _ReferralSigner(key=secret, fallback_keys=fallbacks, salt=REFERRAL_SALT)


def _signer():
    """One signer per secret (settings may change in tests)."""
    return _signer_for(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


def referral_cookie_value(code, visit_id, visited_at):
    return _signer().sign_object({"c": code, "v": visit_id, "t": visited_at.timestamp()})


def referral_from_request(request):
    """The visit the referral cookie carries, or None if absent, tampered or expired."""
    raw = request.COOKIES.get(REFERRAL_COOKIE)
    if not raw:
        return None
    try:
        payload = _signer().unsign_object(raw, max_age=attribution_model().window)
        return ReferralVisit(
            code=str(payload["c"]),
            visit_id=str(uuid.UUID(payload["v"])),
            visited_at=datetime.fromtimestamp(float(payload["t"]), tz=UTC),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def cookie_expires(max_age):
    """The `Expires` date Django writes beside `max_age` (`http_date(time.time() + max_age)`),
    formatted once per second: every click sets two cookies, and formatting the date was 15% of
    the link's own work."""
    return _expires_text(int(time.time()), max_age)


@lru_cache(maxsize=8)
def _expires_text(second, max_age):
    return http_date(second + max_age)


def set_referral_cookie(response, code, visit_id, visited_at):
    max_age = int(attribution_model().window.total_seconds())
    response.set_cookie(
        REFERRAL_COOKIE,
        referral_cookie_value(code, visit_id, visited_at),
        max_age=max_age,
        expires=cookie_expires(max_age),
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG,
    )


def device_id_from_request(request):
    """The signed device id the browser sent, or None."""
    return request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)


def new_device_id():
    return secrets.token_urlsafe(16)


def set_device_cookie(response, device_id):
    response.set_signed_cookie(
        DEVICE_COOKIE,
        device_id,
        salt=DEVICE_SALT,
        max_age=DEVICE_MAX_AGE,
        expires=cookie_expires(DEVICE_MAX_AGE),
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG,
    )
