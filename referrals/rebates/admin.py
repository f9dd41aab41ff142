"""Staff screens of the catalogue, the monthly rule sets, the news, rebate changes and the
quarterly bonus. Rule sets change through their services (publish, correct); rebate changes
and bonuses only through the rebate engine."""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportModelAdmin

from portal.kernel.admin_money import YuanFieldsMixin, yuan_column
from portal.kernel.admin_read_only import ReadOnlyAdmin
from portal.kernel.errors import PortalError
from referrals.models import Activity, NewsEntry, Product, QuarterlyBonus, RebateChange, RuleSet

from .resources import ProductResource
from .rule_sets import rule_set_correct, rule_set_draft_create, rule_set_publish


@admin.register(Product)
class ProductAdmin(ImportExportModelAdmin):
    """Edited here or imported from xlsx/csv (permission `import_product`)."""

    resource_classes = [ProductResource]
    list_display = ["code", "name", "name_en", "category"]
    list_filter = ["category"]
    search_fields = ["code", "name", "name_en"]

    def export_action(self, request):
        """The export follows the change list's filters from the query string; one that is not a
        filter of this list is said so, on the export page answered with 400 (import-export
        itself lets the admin's IncorrectLookupParameters through as a 500)."""
        try:
            self.get_export_queryset(request)
        except IncorrectLookupParameters:
            messages.error(request, _("导出链接中有产品列表没有的筛选条件，请从产品列表重新进入导出。"))
            request.GET = QueryDict()
            response = super().export_action(request)
            response.status_code = 400
            return response
        return super().export_action(request)


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Drafts are edited; published rule sets are read-only, corrected by a new version (R5.6)."""

    list_display = ["month", "version", "title", "status", "published_at", "member_first_purchase_rate"]
    list_filter = ["status"]
    filter_horizontal = ["rebate_products"]
    actions = ["publish", "correct"]
    readonly_fields = ["status", "published_at", "version"]  # numbered by rule_set_draft_create

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            rule_set_draft_create(rule_set=obj)

    @admin.action(description=gettext_lazy("发布所选草稿"), permissions=["publish"])
    def publish(self, request, queryset):
        for rule_set in queryset.filter(status=RuleSet.Status.DRAFT):
            try:
                rule_set_publish(rule_set=rule_set, actor=request.user)
                messages.success(request, _("已发布：%(rule_set)s") % {"rule_set": rule_set})
            except PortalError as refusal:
                messages.error(request, f"{rule_set}: {refusal.message}")

    @admin.action(description=gettext_lazy("为所选规则创建修订草稿"), permissions=["publish"])
    def correct(self, request, queryset):
        for rule_set in queryset.filter(status=RuleSet.Status.PUBLISHED):
            draft = rule_set_correct(rule_set=rule_set, actor=request.user)
            messages.success(request, _("已创建修订草稿：%(rule_set)s") % {"rule_set": draft})

    def has_publish_permission(self, request):
        return request.user.has_perm("referrals.publish_ruleset")


@admin.register(NewsEntry)
class NewsEntryAdmin(admin.ModelAdmin):
    list_display = ["published_at", "title", "title_en", "rule_set"]
    readonly_fields = ["rule_set"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """Names for the promotion codes that rule sets exclude (R4.9), shown to ambassadors."""

    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


@admin.register(RebateChange)
class RebateChangeAdmin(YuanFieldsMixin, ReadOnlyAdmin):
    list_display = ["created_at", "order", "cause", "before_yuan", "after_yuan", "after_settlement"]
    list_filter = ["cause", "after_settlement"]
    list_select_related = ["order"]
    search_fields = ["order__billing_id"]
    before_yuan = yuan_column(RebateChange, "before")
    after_yuan = yuan_column(RebateChange, "after")


@admin.register(QuarterlyBonus)
class QuarterlyBonusAdmin(YuanFieldsMixin, ReadOnlyAdmin):
    list_display = ["quarter", "ambassador", "qualifying_orders", "amount_yuan", "settles_on"]
    list_select_related = ["ambassador__user"]
    date_hierarchy = "quarter"
    amount_yuan = yuan_column(QuarterlyBonus, "amount")
