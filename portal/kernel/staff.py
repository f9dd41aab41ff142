"""Staff groups and exactly the permissions each needs, as data.

`manage.py setup_portal` applies this; later features add their permissions
here, so a group never holds more than its row says.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

RISK = "risk"
FINANCE = "finance"
OPERATIONS = "operations"

GROUP_PERMISSIONS = {
    RISK: [
        "ambassadors.view_ambassador",
        "ambassadors.view_verification",
        "ambassadors.decide_verification",
        "ambassadors.view_full_identity",
        "ambassadors.view_identitysignal",
        "ambassadors.blacklist_ambassador",
        "portal.view_auditentry",
        "referrals.view_riskcase",
        "referrals.decide_riskcase",
        "referrals.view_referrallink",
        "referrals.view_visit",
        "referrals.view_association",
        "referrals.view_associationrefusal",
        "referrals.view_customerprofile",
        "referrals.view_order",
        "referrals.view_rebatechange",
        "referrals.view_event",
    ],
    # Finance watches payouts and exports the payout and tax sheets; money moves only through
    # the services, so it views the ledger and may only ask Alipay where a withdrawal stands.
    FINANCE: [
        "ambassadors.view_ambassador",
        "portal.view_auditentry",
        "referrals.view_order",
        "referrals.view_rebatechange",
        "payouts.view_withdrawal",
        "payouts.reconcile_withdrawal",
        "payouts.export_withdrawal",
        "payouts.export_full_id_numbers",
        "payouts.view_settlementrun",
        "payouts.view_posting",
        "payouts.view_entry",
        "payouts.view_taxassessment",
        "payouts.export_taxassessment",
    ],
    # Operations staff run the program: products, monthly rules, news, order imports.
    OPERATIONS: [
        "referrals.view_product",
        "referrals.add_product",
        "referrals.change_product",
        "referrals.import_product",
        "referrals.export_product",
        "referrals.view_ruleset",
        "referrals.add_ruleset",
        "referrals.change_ruleset",
        "referrals.publish_ruleset",
        "referrals.view_newsentry",
        "referrals.add_newsentry",
        "referrals.change_newsentry",
        "referrals.view_activity",
        "referrals.add_activity",
        "referrals.change_activity",
        "referrals.view_order",
        "referrals.import_order",
        "referrals.view_customerprofile",
        "referrals.import_customerprofile",
        "referrals.view_rebatechange",
        "referrals.view_event",
        "referrals.retry_event",
    ],
}


def _permission(dotted):
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def staff_groups_sync():
    """Make each group hold exactly its listed permissions. Safe to run again."""
    for name, permissions in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([_permission(dotted) for dotted in permissions])
