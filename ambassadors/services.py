"""Every write of the ambassadors app. Lock, re-check, change, audit.

Views, the admin, commands and tasks call these functions; nothing else
writes an Ambassador or a Verification.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.kernel.audit import audit_record
from portal.kernel.errors import PortalError
from portal.kernel.personal_data import keyed_hash

from . import rules
from .identity import identity_signal_record
from .models import Ambassador, IdentitySignal, ProgramState, Verification
from .notifications import verification_decided_notify
from .verifiers import get_verifier

CONSENT_VERSION = "2026-11"
# Said to the ambassador when approval finds the identity verified elsewhere (R10.1).
IDENTITY_TAKEN = gettext_lazy("该身份证号已认证过其他云大使账户，一个身份只能认证一个云大使。")


def _locked(ambassador):
    return Ambassador.objects.select_for_update().get(pk=ambassador.pk)


@transaction.atomic
def ambassador_join(*, user):
    """Make `user` an ambassador (R10.1 starts here). Joining twice is harmless."""
    ambassador, created = Ambassador.objects.get_or_create(user=user)
    if created:
        audit_record(actor=user, action="ambassador.join", target=ambassador)
    elif ambassador.cancelled_at:
        raise PortalError(_("该账户已注销云大使身份，不能再次加入。"))
    return ambassador


@transaction.atomic
def verification_submit(*, ambassador, legal_name, id_number, phone, consent, today=None):
    """File a real-name verification for a decision by the configured verifier."""
    if not consent:
        raise PortalError(_("请阅读并同意个人信息使用说明。"))
    # A RuleViolation is a PortalError: its message reaches the ambassador as it is.
    name = rules.legal_name_check(legal_name)
    resident_id = rules.resident_id_check(id_number, today=today or timezone.localdate())
    phone = rules.phone_check(phone)

    ambassador = _locked(ambassador)
    if ambassador.cancelled_at:
        raise PortalError(_("该账户已注销云大使身份。"))
    if ambassador.verified_at:
        raise PortalError(_("你已完成实名认证，身份信息不能更改。"))
    if ambassador.verifications.filter(status=Verification.Status.SUBMITTED).exists():
        raise PortalError(_("你已有一份实名认证申请在审核中，请等待结果。"))
    # Whether this identity is verified elsewhere is decided at review, not
    # answered here: the form must not tell anyone which ID numbers are in use.
    id_hash = keyed_hash(resident_id.number)

    verification = Verification.objects.create(
        ambassador=ambassador,
        legal_name=name,
        id_number=resident_id.number,
        id_number_hash=id_hash,
        phone=phone,
        phone_hash=keyed_hash(phone),
        consent_version=CONSENT_VERSION,
        consented_at=timezone.now(),
    )
    audit_record(
        actor=ambassador.user,
        action="verification.submit",
        target=verification,
        after={"status": verification.status, "id_number": verification.masked_id_number},
    )
    transaction.on_commit(lambda: get_verifier().submitted(verification.pk))
    return verification


def _record_identity(ambassador, *, source):
    """The verified ID number and phone become same-person signals (R9.1)."""
    for kind, value_hash in (
        (IdentitySignal.Kind.ID_NUMBER, ambassador.id_number_hash),
        (IdentitySignal.Kind.PHONE, ambassador.phone_hash),
    ):
        identity_signal_record(user=ambassador.user, kind=kind, value_hash=value_hash, source=source)


def _identity_taken(id_hash, *, by_other_than):
    return Ambassador.objects.filter(id_number_hash=id_hash).exclude(pk=by_other_than.pk).exists()


@transaction.atomic
def verification_approve(*, verification, actor):
    """Approve, and write the identity into the ambassador's binding for good (R10.1)."""
    verification = Verification.objects.select_for_update().get(pk=verification.pk)
    if verification.status == Verification.Status.APPROVED:
        return verification
    if verification.status != Verification.Status.SUBMITTED:
        raise PortalError(_("这份申请已有审核结果，不能再通过。"))
    ambassador = _locked(verification.ambassador)
    if ambassador.cancelled_at:
        raise PortalError(_("该云大使已注销。"))
    if _identity_taken(verification.id_number_hash, by_other_than=ambassador):
        return _reject(verification, actor, IDENTITY_TAKEN)

    now = timezone.now()
    ambassador.legal_name = verification.legal_name
    ambassador.legal_name_hash = keyed_hash(verification.legal_name)
    ambassador.id_number = verification.id_number
    ambassador.id_number_hash = verification.id_number_hash
    ambassador.phone = verification.phone
    ambassador.phone_hash = verification.phone_hash
    ambassador.verified_at = now
    try:
        with transaction.atomic():
            ambassador.save()
    except IntegrityError:
        # Two approvals of one identity raced; the unique hash let one through.
        return _reject(verification, actor, IDENTITY_TAKEN)

    _record_identity(ambassador, source="verification")

    verification.status = Verification.Status.APPROVED
    verification.decided_at = now
    verification.decided_by = actor
    verification.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record(
        actor=actor,
        action="verification.approve",
        target=verification,
        before={"status": Verification.Status.SUBMITTED},
        after={"status": verification.status},
    )
    audit_record(
        actor=actor,
        action="ambassador.verify",
        target=ambassador,
        before={"program_state": ProgramState.PENDING_VERIFICATION},
        after={"program_state": ambassador.program_state, "id_number": ambassador.masked_id_number},
    )
    transaction.on_commit(lambda: verification_decided_notify(verification.pk))
    return verification


@transaction.atomic
def verification_reject(*, verification, actor, reason):
    """Reject with a reason the ambassador will read; they may submit again."""
    reason = (reason or "").strip()
    if not reason:
        raise PortalError(_("请填写未通过的原因，云大使会看到它。"))
    verification = Verification.objects.select_for_update().get(pk=verification.pk)
    if verification.status == Verification.Status.REJECTED:
        return verification
    if verification.status != Verification.Status.SUBMITTED:
        raise PortalError(_("这份申请已有审核结果，不能再驳回。"))
    return _reject(verification, actor, reason)


def _reject(verification, actor, reason):
    reason = str(reason)
    verification.status = Verification.Status.REJECTED
    verification.reject_reason = reason
    verification.decided_at = timezone.now()
    verification.decided_by = actor
    verification.save(update_fields=["status", "reject_reason", "decided_at", "decided_by"])
    audit_record(
        actor=actor,
        action="verification.reject",
        target=verification,
        reason=reason,
        before={"status": Verification.Status.SUBMITTED},
        after={"status": verification.status},
    )
    transaction.on_commit(lambda: verification_decided_notify(verification.pk))
    return verification


@transaction.atomic
def alipay_bind(*, ambassador, account, holder_confirmed):
    """Bind the one Alipay account rebates are paid to (R10.1, R11.1); final."""
    if not holder_confirmed:
        raise PortalError(_("请确认该支付宝账号的实名与你的认证姓名一致。"))
    account = rules.alipay_account_check(account)
    ambassador = _locked(ambassador)
    if ambassador.cancelled_at:
        raise PortalError(_("该账户已注销云大使身份。"))
    if not ambassador.verified_at:
        raise PortalError(_("请先完成实名认证，再绑定支付宝。"))
    if ambassador.alipay_bound_at:
        raise PortalError(_("支付宝账号已绑定，不能更改。"))
    account_hash = keyed_hash(account)
    if Ambassador.objects.filter(alipay_account_hash=account_hash).exists():
        # Deliberately vague: the form must not tell which accounts are bound.
        raise PortalError(_("该支付宝账号无法绑定，请换一个账号。"))

    ambassador.alipay_account = account
    ambassador.alipay_account_hash = account_hash
    ambassador.alipay_bound_at = timezone.now()
    try:
        with transaction.atomic():
            ambassador.save(update_fields=["alipay_account", "alipay_account_hash", "alipay_bound_at"])
    except IntegrityError:
        # Another ambassador bound the same account a moment ago.
        raise PortalError(_("该支付宝账号无法绑定，请换一个账号。")) from None
    identity_signal_record(
        user=ambassador.user, kind=IdentitySignal.Kind.PAYMENT_ACCOUNT, value_hash=account_hash, source="alipay_binding"
    )
    audit_record(
        actor=ambassador.user,
        action="ambassador.bind_alipay",
        target=ambassador,
        before={"program_state": ProgramState.VERIFIED},
        after={"program_state": ambassador.program_state, "alipay_account": ambassador.masked_alipay_account},
    )
    return ambassador


@transaction.atomic
def ambassador_cancel(*, ambassador, actor):
    """End the membership (R10.2). Unwithdrawn rebates are forfeited; history stays."""
    ambassador = _locked(ambassador)
    if ambassador.cancelled_at:
        return ambassador
    before = ambassador.program_state
    ambassador.cancelled_at = timezone.now()
    ambassador.save(update_fields=["cancelled_at"])
    audit_record(
        actor=actor,
        action="ambassador.cancel",
        target=ambassador,
        before={"program_state": before},
        after={"program_state": ambassador.program_state},
    )
    return ambassador


@transaction.atomic
def ambassador_blacklist(*, ambassador, actor, reason):
    """R6.3: the ambassador can no longer refer; the reason is shown to them. Letting their
    customers go is referrals' part: `referrals.risk.services.membership_blacklist` calls
    both, as `portal.shell.membership.membership_cancel` composes cancelling."""
    if not reason.strip():
        raise PortalError(_("请填写列入黑名单的原因。"))
    ambassador = _locked(ambassador)
    if ambassador.blacklisted_at:
        return ambassador
    ambassador.blacklisted_at = timezone.now()
    ambassador.blacklist_reason = reason.strip()
    ambassador.save(update_fields=["blacklisted_at", "blacklist_reason"])
    audit_record(
        actor=actor,
        action="ambassador.blacklist",
        target=ambassador,
        reason=ambassador.blacklist_reason,
        before={"blacklisted": False},
        after={"blacklisted": True},
    )
    return ambassador


@transaction.atomic
def ambassador_blacklist_lift(*, ambassador, actor, reason):
    """Staff lift the blacklist: the link associates again (earlier customers do not come back)."""
    if not reason.strip():
        raise PortalError(_("请填写解除黑名单的原因。"))
    ambassador = _locked(ambassador)
    if not ambassador.blacklisted_at:
        return ambassador
    ambassador.blacklisted_at = None
    ambassador.blacklist_reason = ""
    ambassador.save(update_fields=["blacklisted_at", "blacklist_reason"])
    audit_record(
        actor=actor,
        action="ambassador.blacklist_lift",
        target=ambassador,
        reason=reason.strip(),
        before={"blacklisted": True},
        after={"blacklisted": False},
    )
    return ambassador
