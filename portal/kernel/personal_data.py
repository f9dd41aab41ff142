"""Personal data: encryption at rest, keyed hashes for matching, masks for screens.

Values are encrypted with Fernet (`cryptography`) under PERSONAL_DATA_KEYS:
the first key encrypts, every key decrypts, so a new key is put first and the
old ones stay until `manage.py rotate_personal_data_keys` has re-encrypted
every row. Matching never decrypts: it compares HMAC-SHA256 hashes of the
normalised value under PERSONAL_DATA_HASH_KEY, a separate key.
"""

import hashlib
import hmac
import re
from functools import cache, lru_cache
from uuid import UUID

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _fernet(keys):
    return MultiFernet([Fernet(key) for key in keys])


def fernet():
    return _fernet(tuple(settings.PERSONAL_DATA_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    return _decrypted(tuple(settings.PERSONAL_DATA_KEYS), token)


# A token always decrypts to the same value under the same keys, and a logged-in request loads
# its ambassador's encrypted columns every time (portal.shell.auth_backends): each process keeps
# the values of its last few thousand tokens in memory (never written anywhere) rather than
# decrypting the same three or four on every page. The keys are part of the key: a key removed
# from PERSONAL_DATA_KEYS decrypts nothing more, from here either.
DECRYPTED_KEPT = 4096


@lru_cache(maxsize=DECRYPTED_KEPT)
def _decrypted(keys, token):
    return _fernet(keys).decrypt(token.encode("ascii")).decode()


def reencrypt(token: str) -> str:
    """The same value under the current first key (key rotation)."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def keyed_hash(normalised_value: str) -> str:
    """Hex HMAC-SHA256 of a normalised value: equal values, equal hashes.

    No kind prefix on purpose: a phone number that is also an Alipay logon id
    links the same two accounts (R9.1).
    """
    key = settings.PERSONAL_DATA_HASH_KEY.encode()
    return hmac.new(key, normalised_value.encode(), hashlib.sha256).hexdigest()


def keyed_digest(purpose: str, data: bytes) -> str:
    """Hex HMAC-SHA256 of bytes that may hold personal data, to tell equal from
    different without keeping them. Keyed, because a plain SHA-256 of a text
    holding one phone number is reversed by trying every number; `purpose`
    keeps these digests apart from the matching hashes."""
    key = settings.PERSONAL_DATA_HASH_KEY.encode()
    return hmac.new(key, purpose.encode() + b"\x00" + data, hashlib.sha256).hexdigest()


# Normalisers: the canonical form that is hashed.


def normalise_id_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def normalise_phone(value: str) -> str:
    digits = re.sub(r"[\s\-()]", "", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


def normalise_name(value: str) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


def normalise_payment_account(value: str) -> str:
    """An Alipay logon id (or billing's payment account): an email address or a phone number."""
    return normalise_email(value) if "@" in (value or "") else normalise_phone(value)


def normalise_device_id(value: str) -> str:
    return (value or "").strip()


def normalise_address(value: str) -> str:
    """Spacing and case do not make another address."""
    return " ".join((value or "").split()).lower()


# Masks: what a screen may show.


def mask_name(value: str) -> str:
    """张三 → 张*; 欧阳娜娜 → 欧***."""
    value = normalise_name(value)
    return value[:1] + "*" * (len(value) - 1) if value else ""


def mask_id_number(value: str) -> str:
    """11010519491231002X → 110***********002X."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str) -> str:
    """zhang.san@example.com → z***@example.com."""
    local, _, domain = value.partition("@")
    return (local[:1] + "***@" + domain) if domain else mask_name(value)


def account_short_number(uid) -> str:
    """An account's short number: the first six hex digits of its public id (`User.uid`),
    upper case. Stable, and says nothing of the person."""
    if isinstance(uid, UUID):  # the top 24 of its 128 bits, without formatting all 32 digits
        return f"{uid.int >> 104:06X}"
    return str(uid).replace("-", "")[:6].upper()


def masked_account_label(email: str, uid) -> str:
    """How an ambassador tells customers apart: the masked email and the account's short
    number, k***@example.com · #3F9A2C, so two accounts whose masks agree still read apart."""
    return f"{mask_email(email)} · #{account_short_number(uid)}"


def mask_payment_account(value: str) -> str:
    """An Alipay logon id is a phone number or an email address."""
    return mask_email(value) if "@" in value else mask_phone(value)
