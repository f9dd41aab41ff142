"""Pure rules of attribution: the attribution model (R3.6), how a visit turns into an
association, and where a link click lands. No database.

The attribution model lives here, read from settings, and nowhere else: the 2018 "visit is
association, last visit wins, 30 days" model may change, and a change is a
setting (REFERRAL_ATTRIBUTION) plus, for a new kind, a class below.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
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


def landing_url(requested, *, default, allowed_hosts, require_https):
    """Where a link click lands: `requested` when it is a path or a URL on an
    allowed host, otherwise `default`. Refuses `//evil.example`,
    `\\\\evil.example`, `javascript:` and any off-site absolute URL."""
    if not requested:
        return default
    requested = requested.strip()
    if "\\" in requested or any(ord(character) < 32 or ord(character) == 127 for character in requested):
        return default
    if url_has_allowed_host_and_scheme(requested, allowed_hosts=set(allowed_hosts), require_https=require_https):
        return requested
    return default


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
