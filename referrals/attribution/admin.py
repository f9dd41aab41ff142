"""Read-only staff views of links, visits and associations: they change only through the
services, driven by visits and billing events."""

from django.contrib import admin

from portal.kernel.admin_read_only import ReadOnlyAdmin
from referrals.models import Association, AssociationRefusal, ReferralLink, Visit


@admin.register(ReferralLink)
class ReferralLinkAdmin(ReadOnlyAdmin):
    list_display = ["code", "ambassador", "created_at"]
    list_select_related = ["ambassador__user"]
    search_fields = ["code", "ambassador__user__email"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["visited_at", "code", "ambassador", "outcome", "landing"]
    list_filter = ["outcome"]
    list_select_related = ["ambassador__user"]
    search_fields = ["code"]
    date_hierarchy = "visited_at"
    show_full_result_count = False  # no COUNT(*) over millions of clicks


@admin.register(Association)
class AssociationAdmin(ReadOnlyAdmin):
    list_display = ["customer", "ambassador", "started_at", "expires_at", "ended_at", "end_reason"]
    list_filter = ["end_reason"]
    list_select_related = ["customer", "ambassador__user"]
    search_fields = ["customer__email", "ambassador__user__email"]
    date_hierarchy = "started_at"


@admin.register(AssociationRefusal)
class AssociationRefusalAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "ambassador", "reason", "detail"]
    list_filter = ["reason"]
    list_select_related = ["customer", "ambassador__user"]
    search_fields = ["customer__email", "ambassador__user__email"]
