"""Every write about links, visits and associations (R3)."""

import logging
import secrets
import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.identity import identity_signal_record, shared_signal_kinds
from ambassadors.models import IdentitySignal
from portal.personal_data import keyed_hash

from .attribution import attribution_model
from .cookies import ReferralVisit, referral_from_request
from .models import Association, AssociationRefusal, CustomerProfile, EndReason, ReferralLink, RefusalReason, Visit
from .visit_log import visit_log_append

logger = logging.getLogger(__name__)

# No look-alike characters (0/o, 1/l/i): codes are read aloud and retyped.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 12  # 31**12 ≈ 2**59 codes: not guessable by enumeration


class ReferralError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def referral_link_for(ambassador):
    """The ambassador's one exclusive link, made on first use."""
    if not ambassador.can_refer:
        raise ReferralError(_("完成实名认证后即可获得专属推广链接。"))
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
    """Record a click on `/r/<code>` and return the visit to carry in the cookie.

    A logged-in customer is associated at once (R3.1); anyone else when they
    sign up or log in with the cookie (R3.3).
    """
    code = _printable(code)[:64]
    visit = ReferralVisit(code=code, visit_id=str(uuid.uuid4()), visited_at=now or timezone.now())
    device_hash = keyed_hash(device_id) if device_id else ""
    if visitor is None or not visitor.is_authenticated:
        visit_log_append(
            visit_id=visit.visit_id,
            code=visit.code,
            device_hash=device_hash,
            landing=landing,
            visited_at=visit.visited_at,
        )
        return visit

    device_seen(user=visitor, device_id=device_id, source="visit")
    result = association_apply(customer=visitor, visit=visit)
    link = ReferralLink.objects.select_related("ambassador").filter(code=visit.code).first()
    Visit.objects.create(
        id=visit.visit_id,
        code=visit.code,
        ambassador=link.ambassador if link else None,
        visitor=visitor,
        device_hash=device_hash,
        landing=landing[:500],
        visited_at=visit.visited_at,
        outcome=Visit.Outcome.ASSOCIATED if isinstance(result, Association) else Visit.Outcome.REFUSED,
    )
    return visit


@transaction.atomic
def association_apply(*, customer, visit: ReferralVisit, now=None):
    """Apply one visit to one customer account (R3). Returns the association or the refusal.

    Safe to repeat: the same visit applied twice changes nothing, and a visit
    older than the customer's latest association is stale and ignored (None).
    """
    now = now or timezone.now()
    model = attribution_model()
    profile = _locked_profile(customer)

    earlier = _already_applied(customer, visit.visit_id)
    if earlier is not None:
        return earlier
    later = Q(started_at__gt=visit.visited_at) | Q(renewed_at__gt=visit.visited_at)
    if Association.objects.filter(later, customer=customer).exists():
        logger.info("visit %s is older than the customer's latest association: ignored", visit.visit_id)
        return None

    link = ReferralLink.objects.select_related("ambassador__user").filter(code=visit.code).first()
    ambassador = link.ambassador if link else None
    reason, detail = _refusal(profile, ambassador)
    if reason:
        return _refuse(customer, ambassador, visit, reason, detail)

    current = (
        Association.objects.select_for_update(of=("self",))
        .select_related("ambassador")
        .filter(customer=customer, ended_at__isnull=True)
        .first()
    )
    if current is not None and current.expires_at <= now:
        _end(current, EndReason.WINDOW_ENDED, at=current.expires_at)
        current = None
    if current is not None and not current.ambassador.can_refer:
        _end(current, EndReason.AMBASSADOR_INACTIVE, at=visit.visited_at)
        current = None
    if current is not None and current.ambassador_id == ambassador.pk:
        return _renew(current, visit, model)
    if current is not None and not model.takes_over(
        current_ambassador_id=current.ambassador_id, visiting_ambassador_id=ambassador.pk
    ):
        return _refuse(customer, ambassador, visit, RefusalReason.ASSOCIATED_ELSEWHERE, "")

    if current is not None:
        _end(current, EndReason.TAKEN_OVER, at=visit.visited_at)
    association = Association.objects.create(
        customer=customer,
        ambassador=ambassador,
        visit_id=visit.visit_id,
        started_at=visit.visited_at,
        expires_at=visit.visited_at + model.window,
    )
    if current is not None:
        current.taken_over_by = association
        current.save(update_fields=["taken_over_by"])
    return association


def _locked_profile(customer):
    """The customer's profile, locked: one association decision at a time per customer."""
    CustomerProfile.objects.get_or_create(customer=customer)
    return CustomerProfile.objects.select_for_update().get(customer=customer)


def _already_applied(customer, visit_id):
    return (
        Association.objects.filter(customer=customer, visit_id=visit_id).first()
        or AssociationRefusal.objects.filter(customer=customer, visit_id=visit_id).first()
    )


def _refusal(profile, ambassador):
    """The first reason (R3.5) this customer cannot be associated with this ambassador."""
    if ambassador is None:
        return RefusalReason.UNKNOWN_LINK, ""
    if not ambassador.can_refer:
        return RefusalReason.INACTIVE_AMBASSADOR, ""
    if profile.segment != CustomerProfile.Segment.NORMAL:
        return RefusalReason.CBM_OR_PARTNER, profile.segment
    if profile.became_old_at is not None:
        return RefusalReason.OLD_CUSTOMER, ""
    shared = shared_signal_kinds(ambassador.user, profile.customer)
    if shared:
        return RefusalReason.SAME_PERSON, ",".join(sorted(shared))
    return None, ""


def _refuse(customer, ambassador, visit, reason, detail):
    refusal, _ = AssociationRefusal.objects.get_or_create(
        customer=customer,
        visit_id=visit.visit_id,
        defaults={"ambassador": ambassador, "visited_at": visit.visited_at, "reason": reason, "detail": detail},
    )
    return refusal


def _renew(association, visit, model):
    """R3: a revisit of the same ambassador starts the 30 days again."""
    association.visit_id = visit.visit_id
    association.renewed_at = visit.visited_at
    association.expires_at = max(association.expires_at, visit.visited_at + model.window)
    association.save(update_fields=["visit_id", "renewed_at", "expires_at"])
    return association


def _end(association, reason, *, at: datetime):
    association.ended_at = at
    association.end_reason = reason
    association.save(update_fields=["ended_at", "end_reason"])


def associations_expire(*, now=None):
    """End every association whose window has passed (R3.4); returns how many.

    Reads already treat them as ended; this records when and why.
    """
    now = now or timezone.now()
    ended = 0
    with transaction.atomic():
        for association in Association.objects.select_for_update(skip_locked=True).filter(
            ended_at__isnull=True, expires_at__lte=now
        ):
            _end(association, EndReason.WINDOW_ENDED, at=association.expires_at)
            ended += 1
    return ended


@transaction.atomic
def customer_mark_old(*, customer, at):
    """R1.2, R3.4: the customer's first paid cloud product makes them old and ends the association."""
    profile = _locked_profile(customer)
    if profile.became_old_at is not None and profile.became_old_at <= at:
        return profile
    profile.became_old_at = at
    profile.save(update_fields=["became_old_at"])
    current = Association.objects.filter(customer=customer, ended_at__isnull=True).first()
    if current is not None:
        if current.expires_at <= at:
            _end(current, EndReason.WINDOW_ENDED, at=current.expires_at)
        else:
            _end(current, EndReason.BECAME_OLD, at=at)
    return profile


@transaction.atomic
def customer_segment_set(*, customer, segment):
    """Billing says which segment a customer is in (R3.5, R4.3)."""
    profile = _locked_profile(customer)
    if profile.segment != segment:
        profile.segment = segment
        profile.save(update_fields=["segment"])
    return profile


def referral_apply_at_login(request, user):
    """At sign-up or log-in: the device is seen, and the referral cookie's visit applied."""
    device_seen(user=user, device_id=getattr(request, "device_id", None), source="login")
    visit = referral_from_request(request)
    if visit is not None:
        association_apply(customer=user, visit=visit)
