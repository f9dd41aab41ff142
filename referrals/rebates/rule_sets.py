"""Writes of monthly rule sets (R5): publishing, and corrections as new versions."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.kernel.audit import audit_record
from portal.kernel.errors import PortalError
from referrals.models import NewsEntry, RuleSet


@transaction.atomic
def rule_set_publish(*, rule_set, actor):
    """Publish a draft: from now on it judges its month's orders, and 最新动态 says so (R5.1)."""
    rule_set = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if rule_set.is_published:
        return rule_set
    rates = [
        rule_set.member_first_purchase_rate,
        rule_set.new_purchase_rate,
        rule_set.renewal_rate,
        rule_set.upgrade_rate,
        rule_set.product_first_purchase_rate,
    ]
    if any(rate < 0 or rate > 1 for rate in rates):
        raise PortalError(_("返利比例须在 0 到 1 之间。"))
    rule_set.status = RuleSet.Status.PUBLISHED
    rule_set.published_at = timezone.now()
    rule_set.save()
    NewsEntry.objects.create(
        title=rule_set.title,
        body=rule_set.summary or rule_set.title,
        title_en=rule_set.title_en,
        body_en=rule_set.summary_en or rule_set.title_en,
        published_at=rule_set.published_at,
        rule_set=rule_set,
    )
    audit_record(
        actor=actor,
        action="rule_set.publish",
        target=rule_set,
        after={"month": str(rule_set.month), "version": rule_set.version},
    )
    return rule_set


def _next_version(month):
    """The month's next version number (R5.6). The month's rule sets are locked, so two new
    versions of one month are numbered one after the other; the first of a month has no row
    to lock, and the unique (month, version) constraint refuses a second version 1.

    The versions are read after the lock is held, by a statement of their own: the locking
    one sees only the rows of its snapshot, not a version another transaction just added."""
    list(RuleSet.objects.select_for_update().filter(month=month).values_list("pk", flat=True))
    return max(RuleSet.objects.filter(month=month).values_list("version", flat=True), default=0) + 1


@transaction.atomic
def rule_set_draft_create(*, rule_set):
    """Store a new rule set as a draft numbered the next version of its month (R5.6)."""
    rule_set.version = _next_version(rule_set.month)
    rule_set.save()
    return rule_set


@transaction.atomic
def rule_set_correct(*, rule_set, actor):
    """A correction of a published rule set is a new draft version (R5.6); the
    published one stays as it is, and so do the rebates computed with it."""
    draft = RuleSet.objects.create(
        month=rule_set.month,
        version=_next_version(rule_set.month),
        title=rule_set.title,
        summary=rule_set.summary,
        title_en=rule_set.title_en,
        summary_en=rule_set.summary_en,
        member_first_purchase_rate=rule_set.member_first_purchase_rate,
        new_purchase_rate=rule_set.new_purchase_rate,
        renewal_rate=rule_set.renewal_rate,
        upgrade_rate=rule_set.upgrade_rate,
        product_first_purchase_rate=rule_set.product_first_purchase_rate,
        excluded_activities=list(rule_set.excluded_activities),
        bonus_tiers=list(rule_set.bonus_tiers),
    )
    draft.rebate_products.set(rule_set.rebate_products.all())
    audit_record(actor=actor, action="rule_set.correct", target=draft, after={"corrects": rule_set.pk})
    return draft
