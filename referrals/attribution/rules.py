"""Pure rules of attribution: the attribution model (R3.6), how a visit turns into an
association, and where a link click lands. No database.

The attribution model lives here, read from settings, and nowhere else: the 2018 "visit is
association, last visit wins, 30 days" model may change, and a change is a
setting (REFERRAL_ATTRIBUTION) plus, for a new kind, a class below.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from referrals.models.customers import CustomerProfile, RefusalReason


@dataclass(frozen=True)
class AttributionModel(ABC):
    name: str
    window: timedelta

    explanation = ""  # shown to ambassadors beside their link and customers

    @abstractmethod
    def takes_over(self, *, current_ambassador_id, visiting_ambassador_id) -> bool:
        """Whether a visit to another ambassador ends the customer's current association."""


class LastVisitWins(AttributionModel):
    """R3.1–3.2: every visit to another ambassador's link moves the customer."""

    explanation = _("客户之后访问了其他云大使的链接，将改为与对方关联（以最后一次访问为准）。")

    def takes_over(self, *, current_ambassador_id, visiting_ambassador_id):
        return True


class FirstVisitWins(AttributionModel):
    """An association runs its window out; later visits to others are refused."""

    explanation = _("客户在关联期内访问其他云大使的链接，仍与你保持关联（以首次访问为准）。")

    def takes_over(self, *, current_ambassador_id, visiting_ambassador_id):
        return False


MODELS = {"last_visit": LastVisitWins, "first_visit": FirstVisitWins}


def attribution_model() -> AttributionModel:
    config = settings.REFERRAL_ATTRIBUTION
    return _attribution_model(config["model"], config["window_days"])


@lru_cache(maxsize=8)
def _attribution_model(name, window_days):
    """Made once per setting: every link click asks for it."""
    return MODELS[name](name=name, window=timedelta(days=window_days))


class LandingRefusal(StrEnum):
    """Why a link click cannot land where the ambassador asked; the link page words each."""

    OFF_SITE = "off_site"  # another site, or not a URL at all: an open redirect
    NO_PAGE = "no_page"  # a path this site has no page at
    NOT_FOR_VISITORS = "not_for_visitors"  # a page a new visitor has nothing to do on


# Parts of the site a new visitor has nothing to do on: the personal center, the admin, the APIs,
# another ambassador's link, the language switch, the welcome after sign-up, and account pages...
AREAS_NOT_FOR_VISITORS = ("center/", "admin/", "api/", "r/", "i18n/", "welcome/", "accounts/")
# ...except the two where a visit is applied to an account (R3.3).
ACCOUNT_PAGES_FOR_VISITORS = frozenset({"account_signup", "account_login"})


def landing_refusal(requested, *, allowed_hosts, require_https, site_host=""):
    """Why a link click cannot land on `requested` (stripped, not empty), or None. Refuses
    `//evil.example`, `\\\\evil.example`, `javascript:` and any off-site absolute URL; a path
    of this site (or a URL on `site_host`, the host the request came to) must be a page a new
    visitor can open. Other allowed hosts are sites of their own, whose pages are not known here."""
    if "\\" in requested or any(ord(character) < 32 or ord(character) == 127 for character in requested):
        return LandingRefusal.OFF_SITE
    if not url_has_allowed_host_and_scheme(requested, allowed_hosts=set(allowed_hosts), require_https=require_https):
        return LandingRefusal.OFF_SITE
    parts = urlsplit(requested)
    if parts.netloc and parts.netloc.lower() != site_host.lower():
        return None
    return _page_refusal(unquote(parts.path) or ("/" if parts.netloc else ""))


def _page_refusal(path):
    if not path.startswith("/"):  # a relative path would land under /r/
        return LandingRefusal.NO_PAGE
    try:
        match = _page_at(path)
    except Resolver404:
        return LandingRefusal.NO_PAGE
    if match.url_name in ACCOUNT_PAGES_FOR_VISITORS:
        return None
    if match.route.startswith(AREAS_NOT_FOR_VISITORS):
        return LandingRefusal.NOT_FOR_VISITORS
    return None


def _page_at(path):
    """The page a visitor gets at `path`: as CommonMiddleware does, `/accounts/signup` is
    redirected to `/accounts/signup/`."""
    try:
        return resolve(path)
    except Resolver404:
        if settings.APPEND_SLASH and not path.endswith("/"):
            return resolve(f"{path}/")
        raise


def landing_url(requested, *, default, allowed_hosts, require_https, site_host=""):
    """Where a link click lands: `requested` when `landing_refusal` finds nothing against it,
    otherwise `default`."""
    requested = (requested or "").strip()
    if not requested:
        return default
    refusal = landing_refusal(requested, allowed_hosts=allowed_hosts, require_https=require_https, site_host=site_host)
    return default if refusal else requested


@dataclass(frozen=True)
class VisitFacts:
    """What the service knows when a visit comes to associate its customer (R3.5)."""

    link_known: bool  # the code names an ambassador's link
    ambassador_can_refer: bool
    segment: str  # the customer's CustomerProfile.Segment
    customer_old: bool  # R1: the customer has paid for a cloud product
    shared_signal_kinds: frozenset  # R9.1: identity signals the customer shares with the ambassador


def association_refusal(facts: VisitFacts) -> tuple[str | None, str]:
    """R3.5: the first reason this customer cannot be associated with this ambassador, and its
    detail for the record (the segment, or the signals shared), or (None, "")."""
    if not facts.link_known:
        return RefusalReason.UNKNOWN_LINK, ""
    if not facts.ambassador_can_refer:
        return RefusalReason.INACTIVE_AMBASSADOR, ""
    if facts.segment != CustomerProfile.Segment.NORMAL:
        return RefusalReason.CBM_OR_PARTNER, facts.segment
    if facts.customer_old:
        return RefusalReason.OLD_CUSTOMER, ""
    if facts.shared_signal_kinds:
        return RefusalReason.SAME_PERSON, ",".join(sorted(facts.shared_signal_kinds))
    return None, ""
