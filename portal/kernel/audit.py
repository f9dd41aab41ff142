"""The one way to write the audit log (Zulip's `do_*` habit: no change without a record)."""

from .models import AuditEntry


def audit_record(*, actor, action, target, reason="", before=None, after=None):
    """Record `action` on `target` in the caller's transaction.

    `before` and `after` hold only masked or non-personal values: the audit
    log is read by staff who may not see personal data in clear.
    """
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        reason=reason,
        before=before or {},
        after=after or {},
    )


def audit_trail(target):
    """The entries recorded about `target`, newest first."""
    return AuditEntry.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk)).select_related(
        "actor"
    )
