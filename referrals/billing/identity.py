"""Billing's identity signals (R9.1) as the portal keeps them: keyed hashes of
the normalised values, never the values (docs/SECURITY.md).

An event's body is stored with each identity value already replaced by
`hmac-sha256:<keyed hash>`, so neither the database nor the event's admin page
holds a value; the worker records the hash as it finds it.
"""

import re

from ambassadors.models import IdentitySignal
from portal.kernel import personal_data

STORED_PREFIX = "hmac-sha256:"
_STORED = re.compile(re.escape(STORED_PREFIX) + r"(?P<hash>[0-9a-f]{64})")

KINDS = {
    "id_number": IdentitySignal.Kind.ID_NUMBER,
    "phone": IdentitySignal.Kind.PHONE,
    "payment_account": IdentitySignal.Kind.PAYMENT_ACCOUNT,
    # A device id names one person's phone or computer: personal data like the rest.
    "device_id": IdentitySignal.Kind.DEVICE,
    "address": IdentitySignal.Kind.ADDRESS,
}

# The same canonical forms as the portal's own signals (portal.kernel.personal_data), so that
# equal values match.
_NORMALISE = {
    "id_number": personal_data.normalise_id_number,
    "phone": personal_data.normalise_phone,
    "payment_account": personal_data.normalise_payment_account,
    "device_id": personal_data.normalise_device_id,
    "address": personal_data.normalise_address,
}


def identity_stored(identity: dict) -> dict:
    """Billing's `identity` object as it is stored: each value replaced by its keyed hash."""
    return {key: STORED_PREFIX + personal_data.keyed_hash(_NORMALISE[key](value)) for key, value in identity.items()}


def is_stored_form(value) -> bool:
    return isinstance(value, str) and _STORED.fullmatch(value) is not None


def signal_hash(stored_value: str) -> str:
    """The keyed hash in a stored identity value. A value in clear is refused,
    never hashed here: it would mean a body was stored unredacted."""
    match = _STORED.fullmatch(stored_value)
    if match is None:
        raise ValueError("an identity value of a stored event is not a keyed hash")
    return match["hash"]


def event_signal_hashes(data) -> set:
    """The keyed hashes of the identity values a stored `customer.updated` carries (ValueError as
    `signal_hash`)."""
    return {signal_hash(value) for value in data.get("identity", {}).values()}
