"""Personal API tokens: made, used and revoked here.

A token opens the API until it expires (API_TOKEN_LIFETIME_DAYS after it is made), and only
for the methods of its scope."""

import hashlib
import secrets
from datetime import UTC, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .models import ApiToken

TOKEN_PREFIX = "amb_"
MAX_ACTIVE_TOKENS = 10
SCOPE_METHODS = {ApiToken.Scope.READ: ("GET", "HEAD", "OPTIONS")}


class ApiTokenRefused(Exception):
    """A token of ours that may not open this request: `answer` is the JSON body, `status` its code."""

    def __init__(self, answer, *, status):
        super().__init__(answer["error"])
        self.answer = answer
        self.status = status


def _digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name):
    """Returns the token and its raw value, which is never stored or shown again."""
    now = timezone.now()
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValueError(f"at most {MAX_ACTIVE_TOKENS} active tokens")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:50],
        prefix=raw[:12],
        key_hash=_digest(raw),
        scope=ApiToken.Scope.READ,
        expires_at=now + timedelta(days=settings.API_TOKEN_LIFETIME_DAYS),
    )
    audit_record(
        actor=user,
        action="api_token.create",
        target=token,
        after={"prefix": token.prefix, "scope": token.scope, "expires_at": token.expires_at.isoformat()},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token, actor):
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", target=token, after={"prefix": token.prefix})
    return token


def api_token_user(raw, *, method):
    """The user a raw token belongs to, or None when it is no live token of ours; marks it used
    (at most once a minute). Raises ApiTokenRefused for a token that has expired (401) or whose
    scope does not allow `method` (403)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_digest(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.is_expired(now):
        expired_at = token.expires_at.astimezone(UTC)
        raise ApiTokenRefused(
            {
                "error": f"token expired on {expired_at:%Y-%m-%d} (UTC); make a new one on the account page",
                "expired_at": expired_at.isoformat(),
            },
            status=401,
        )
    allowed = SCOPE_METHODS[token.scope]
    if method not in allowed:
        raise ApiTokenRefused(
            {
                "error": f"this token's scope is {token.scope}: it allows only {', '.join(allowed[:-1])}"
                f" and {allowed[-1]}",
                "scope": token.scope,
            },
            status=403,
        )
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
