"""Every write about links, visits and associations (R3)."""

import logging
import secrets
import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.identity import identity_signal_record, shared_signal_kinds
from ambassadors.models import IdentitySignal
from portal.kernel.errors import PortalError
from portal.kernel.personal_data import keyed_hash
from referrals.models import (
    AppliedVisit,
    Association,
    AssociationRefusal,
    CustomerProfile,
    EndReason,
    ReferralLink,
    RefusalReason,
    Visit,
)

from . import rules
from .cookies import ReferralVisit, referral_from_request
from .rules import attribution_model
from .visit_log import visit_log_append

logger = logging.getLogger(__name__)

# No look-alike characters (0/o, 1/l/i): codes are read aloud and retyped.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 12  # 31**12 ≈ 2**59 codes: not guessable by enumeration


def referral_link_for(ambassador):
    """The ambassador's one exclusive link, made on first use."""
    if ambassador.blacklisted_at:
        raise PortalError(
            _("你的推广资格已被暂停，专属链接暂时失效：%(reason)s") % {"reason": ambassador.blacklist_reason}
        )
    if not ambassador.can_refer:
        raise PortalError(_("完成实名认证后即可获得专属推广链接。"))
    link = ReferralLink.objects.filter(ambassador=ambassador).first()
    while link is None:
        try:
            with transaction.atomic():
                link = ReferralLink.objects.create(ambassador=ambassador, code=_new_code())
        except IntegrityError:
            # A concurrent request made it first, or (about never) the code was taken.
            link = ReferralLink.objects.filter(ambassador=ambassador).first()
    return link


def _new_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _printable(text):
    """Codes come from URLs: control characters (NUL above all, which
    PostgreSQL refuses in text) are dropped before anything is stored."""
    return "".join(character for character in text if character.isprintable())


def device_seen(*, user, device_id, source):
    """A device seen with an account is a same-person signal (R9.1)."""
    if device_id:
        identity_signal_record(
            user=user, kind=IdentitySignal.Kind.DEVICE, value_hash=keyed_hash(device_id), source=source
        )


def visit_record(*, code, visitor, device_id, landing, now=None):
    """Record a click on `/r/<code>`.

    A logged-in customer is associated at once (R3.1) and None is returned;
    for anyone else the visit is returned, to be carried in the referral
    cookie to sign-up or log-in (R3.3).
    """
    code = _printable(code)[:64]
    visit = ReferralVisit(code=code, visit_id=str(uuid.uuid4()), visited_at=now or timezone.now())
    device_hash = keyed_hash(device_id) if device_id else ""
    if visitor is None or not visitor.is_authenticated:
        visit_log_append(
            visit_id=visit.visit_id, code=code, device_hash=device_hash, landing=landing, visited_at=visit.visited_at
        )
        return visit

    device_seen(user=visitor, device_id=device_id, source="visit")
    result = association_apply(customer=visitor, visit=visit)
    Visit.objects.create(
        id=visit.visit_id,
        code=code,
        ambassador=getattr(result, "ambassador", None),
        visitor=visitor,
        device_hash=device_hash,
        landing=landing[:500],
        visited_at=visit.visited_at,
        outcome=_outcome_of(result),
    )
    return None


def _outcome_of(result):
    if isinstance(result, Association):
        return Visit.Outcome.ASSOCIATED
    if result is None:
        return Visit.Outcome.IGNORED
    return {
        RefusalReason.UNKNOWN_LINK: Visit.Outcome.UNKNOWN_LINK,
        RefusalReason.INACTIVE_AMBASSADOR: Visit.Outcome.INACTIVE_AMBASSADOR,
    }.get(result.reason, Visit.Outcome.REFUSED)


@transaction.atomic
def association_apply(*, customer, visit: ReferralVisit, now=None):
    """Apply one visit to one customer account (R3): the association made or
    renewed, the refusal recorded, or None for a visit older than the
    customer's latest association.

    The customer's associations form one timeline without overlaps, whatever
    order visits arrive in: a visit carried by a cookie is applied at the
    time of the visit, not the time it arrives. The same visit applied twice
    changes nothing; a visit applied to one account is refused for any other.
    """
    now = now or timezone.now()
    profile = customer_profile_locked(customer)
    link = ReferralLink.objects.select_related("ambassador__user").filter(code=visit.code).first()
    ambassador = link.ambassador if link else None

    used_by = AppliedVisit.objects.filter(visit_id=visit.visit_id).values_list("customer_id", flat=True).first()
    if used_by == customer.pk:
        return _earlier_result(customer, visit)
    if used_by is not None or not _mark_applied(customer, visit):
        return _refuse(customer, ambassador, visit, RefusalReason.VISIT_USED, "")

    later = Q(started_at__gt=visit.visited_at) | Q(renewed_at__gt=visit.visited_at)
    if Association.objects.filter(later, customer=customer).exists():
        logger.info("visit %s is older than the customer's latest association: ignored", visit.visit_id)
        return None

    reason, detail = rules.association_refusal(_visit_facts(profile, ambassador))
    if reason:
        return _refuse(customer, ambassador, visit, reason, detail)
    return _associate(customer, ambassador, visit, now=now)


def _mark_applied(customer, visit):
    try:
        with transaction.atomic():
            AppliedVisit.objects.create(visit_id=visit.visit_id, customer=customer)
    except IntegrityError:
        return False  # another account took this visit a moment ago
    return True


def _earlier_result(customer, visit):
    return (
        Association.objects.filter(customer=customer, visit_id=visit.visit_id).first()
        or AssociationRefusal.objects.filter(customer=customer, visit_id=visit.visit_id).first()
    )


def _associate(customer, ambassador, visit, *, now):
    """Put the visit on the customer's timeline (R3.1, R3.2, R3.6)."""
    model = attribution_model()
    at = visit.visited_at
    latest = (
        Association.objects.select_for_update(of=("self",))
        .select_related("ambassador")
        .filter(customer=customer)
        .order_by("-started_at", "-pk")
        .first()
    )
    previous = None
    if latest is not None and _active_at(latest, at):
        if latest.ambassador_id == ambassador.pk:
            return _renew(latest, visit, model, now=now)
        if latest.ambassador.can_refer and not model.takes_over(
            current_ambassador_id=latest.ambassador_id, visiting_ambassador_id=ambassador.pk
        ):
            return _refuse(customer, ambassador, visit, RefusalReason.ASSOCIATED_ELSEWHERE, "")
        reason = EndReason.TAKEN_OVER if latest.ambassador.can_refer else EndReason.AMBASSADOR_INACTIVE
        _end(latest, reason, at=at)
        previous = latest
    elif latest is not None and latest.ended_at is None:
        _end(latest, EndReason.WINDOW_ENDED, at=latest.expires_at)

    association = Association.objects.create(
        customer=customer, ambassador=ambassador, visit_id=visit.visit_id, started_at=at, expires_at=at + model.window
    )
    if previous is not None and previous.end_reason == EndReason.TAKEN_OVER:
        previous.taken_over_by = association
        previous.save(update_fields=["taken_over_by"])
    return _ended_if_past(association, now)


def _active_at(association, moment):
    """Whether the association held the customer at `moment`."""
    ended = association.ended_at is not None and association.ended_at <= moment
    return association.started_at <= moment < association.expires_at and not ended


def customer_profile_locked(customer):
    """The customer's profile, locked: one decision at a time per customer."""
    profile = CustomerProfile.objects.select_for_update().filter(customer=customer).first()
    if profile is None:  # the first time: made once, even by two requests at once
        CustomerProfile.objects.get_or_create(customer=customer)
        profile = CustomerProfile.objects.select_for_update().get(customer=customer)
    return profile


def _visit_facts(profile, ambassador):
    """The facts R3.5 decides on; the identity signals are read only for a known link."""
    return rules.VisitFacts(
        link_known=ambassador is not None,
        ambassador_can_refer=bool(ambassador and ambassador.can_refer),
        segment=profile.segment,
        customer_old=profile.became_old_at is not None,
        shared_signal_kinds=frozenset(shared_signal_kinds(ambassador.user, profile.customer) if ambassador else ()),
    )


def _refuse(customer, ambassador, visit, reason, detail):
    refusal, _ = AssociationRefusal.objects.get_or_create(
        customer=customer,
        visit_id=visit.visit_id,
        defaults={"ambassador": ambassador, "visited_at": visit.visited_at, "reason": reason, "detail": detail},
    )
    return refusal


def _renew(association, visit, model, *, now):
    """R3: a revisit of the same ambassador starts the window again from the visit,
    reopening an association whose expiry was recorded after that visit."""
    association.visit_id = visit.visit_id
    association.renewed_at = visit.visited_at
    association.expires_at = max(association.expires_at, visit.visited_at + model.window)
    association.ended_at = None
    association.end_reason = ""
    association.save(update_fields=["visit_id", "renewed_at", "expires_at", "ended_at", "end_reason"])
    return _ended_if_past(association, now)


def _ended_if_past(association, now):
    """A visit applied late may give a window that has already run out."""
    if association.expires_at <= now:
        _end(association, EndReason.WINDOW_ENDED, at=association.expires_at)
    return association


def _end(association, reason, *, at: datetime):
    association.ended_at = at
    association.end_reason = reason
    association.save(update_fields=["ended_at", "end_reason"])


def associations_expire(*, now=None):
    """Record the end of every association whose window has passed (R3.4);
    returns how many. Reads already treat them as ended."""
    return Association.objects.filter(ended_at__isnull=True, expires_at__lte=now or timezone.now()).update(
        ended_at=F("expires_at"), end_reason=EndReason.WINDOW_ENDED
    )


@transaction.atomic
def customer_mark_old(*, customer, at):
    """R1.2, R3.4: the customer's first paid cloud product makes them old from `at`.

    Billing may say so late: any association still running at `at` is cut
    there, and one that started later ends where it started, as if it had
    never held the customer.
    """
    profile = customer_profile_locked(customer)
    if profile.became_old_at is not None and profile.became_old_at <= at:
        return profile
    profile.became_old_at = at
    profile.save(update_fields=["became_old_at"])
    for association in ends_when_old(Association.objects.select_for_update().filter(customer=customer), at):
        association.save(update_fields=["ended_at", "end_reason"])
    return profile


def ends_when_old(associations, at):
    """R3.4: end, in memory, the associations still running when the customer became old at
    `at`, and give them back for saving; one that started later ends where it started."""
    ended = []
    for association in associations:
        effective_end = min(association.ended_at or association.expires_at, association.expires_at)
        if effective_end > at:
            association.ended_at = max(at, association.started_at)
            association.end_reason = EndReason.BECAME_OLD
            ended.append(association)
    return ended


@transaction.atomic
def ambassador_release(*, ambassador, at, reason=EndReason.AMBASSADOR_INACTIVE):
    """An ambassador who can no longer refer (cancelled R10.2, blacklisted R6.3) lets
    their customers go at `at`."""
    for association in Association.objects.select_for_update().filter(ambassador=ambassador, ended_at__isnull=True):
        if association.expires_at <= at:
            _end(association, EndReason.WINDOW_ENDED, at=association.expires_at)
        else:
            _end(association, reason, at=max(at, association.started_at))


@transaction.atomic
def customer_segment_set(*, customer, segment, as_of=None):
    """Billing says which segment a customer is in (R3.5, R4.3), as of `as_of`;
    an update older than the one stored arrived late and is ignored."""
    as_of = as_of or timezone.now()
    profile = customer_profile_locked(customer)
    if profile.segment_as_of is not None and as_of < profile.segment_as_of:
        return profile
    profile.segment = segment
    profile.segment_as_of = as_of
    profile.save(update_fields=["segment", "segment_as_of"])
    return profile


def referral_apply_at_login(request, user):
    """At sign-up or log-in: the device is seen, and the referral cookie's visit
    applied and used up. A failure here is logged, never a failed log-in: a
    lost referral is better than a customer who cannot get in."""
    try:
        device_seen(user=user, device_id=getattr(request, "device_id", None), source="login")
        visit = referral_from_request(request)
        if visit is not None:
            association_apply(customer=user, visit=visit)
            request.referral_cookie_used = True
    except Exception:
        logger.exception("referral for account %s not applied at log-in", user.pk)
