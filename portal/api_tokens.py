"""Personal API tokens: made, used and revoked here."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .models import ApiToken

TOKEN_PREFIX = "amb_"
MAX_ACTIVE_TOKENS = 10


def _digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name):
    """Returns the token and its raw value, which is never stored or shown again."""
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValueError(f"at most {MAX_ACTIVE_TOKENS} active tokens")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip()[:50], prefix=raw[:12], key_hash=_digest(raw))
    audit_record(actor=user, action="api_token.create", target=token, after={"prefix": token.prefix})
    return token, raw


@transaction.atomic
def api_token_revoke(*, token, actor):
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", target=token, after={"prefix": token.prefix})
    return token


def api_token_user(raw):
    """The user a raw token belongs to, or None; marks it used (at most once a minute)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_digest(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
