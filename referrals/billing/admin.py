"""Billing's data in the admin: the stored events (retried by staff) and spreadsheet imports that
go through the events API's checks and services, not straight into tables."""

import tablib
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.kernel.admin_read_only import ReadOnlyAdmin
from referrals.models import CustomerProfile, Event

from .imports import segments_import
from .services import events_retry


class SpreadsheetForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件（xlsx 或 csv）"))


class SpreadsheetImportMixin:
    """An "import" page beside the change list that sends each row through a service.

    Subclasses name `import_function`, `import_permission`, `import_title` and
    `import_help`; all rows are applied or none, and bad rows are listed."""

    change_list_template = "admin/referrals/spreadsheet_change_list.html"

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        return [path("import/", self.admin_site.admin_view(self.import_view), name=name), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": request.user.has_perm(self.import_permission), "import_title": self.import_title}
        return super().changelist_view(request, extra_context={**(extra_context or {}), **extra})

    def import_view(self, request):
        if not request.user.has_perm(self.import_permission):
            raise PermissionDenied
        form = SpreadsheetForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            dataset = _read_spreadsheet(form.cleaned_data["file"])
            if dataset is None:
                messages.error(request, _("无法读取该文件：请上传 xlsx 或 UTF-8 编码的 csv。"))
            else:
                applied, errors = type(self).import_function(dataset)
                if not errors:
                    messages.success(
                        request, ngettext("已导入 %(n)d 行。", "已导入 %(n)d 行。", applied) % {"n": applied}
                    )
                    return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "errors": errors,
            "opts": self.opts,
            "title": self.import_title,
            "help": self.import_help,
        }
        return render(request, "admin/referrals/spreadsheet_import.html", context)


def _read_spreadsheet(upload):
    try:
        if upload.name.lower().endswith(".xlsx"):
            return tablib.Dataset().load(upload.read(), format="xlsx")
        return tablib.Dataset().load(upload.read().decode("utf-8-sig"), format="csv")
    except Exception:  # any unreadable file is the user's, not a server error
        return None


@admin.register(CustomerProfile)
class CustomerProfileAdmin(SpreadsheetImportMixin, ReadOnlyAdmin):
    list_display = ["customer", "segment", "became_old_at"]
    list_filter = ["segment"]
    list_select_related = ["customer"]
    search_fields = ["customer__email"]
    import_function = staticmethod(segments_import)

    def get_object(self, request, object_id, from_field=None):
        """The key is the customer's id, through a relation: Django keeps an integer lookup within
        its column's range only on integer fields themselves, so an id past the range would reach
        the database (an overflow, a 500). Such an id is no profile."""
        low, high = connection.ops.integer_field_range("BigIntegerField")
        try:
            if not low <= int(object_id) <= high:
                return None
        except ValueError:
            return None
        return super().get_object(request, object_id, from_field)

    import_permission = "referrals.import_customerprofile"
    import_title = gettext_lazy("导入客户类型")
    import_help = gettext_lazy(
        "两列：customer（账户 ID）与 segment（normal、cbm 或 partner），与 customer.updated 事件经过同一套校验和服务；"
        "任何一行有误，整个文件都不导入。"
    )


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """Events as stored: identity values are keyed hashes (referrals.billing.identity)."""

    list_display = ["received_at", "id", "type", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "type"]
    search_fields = ["id"]
    show_full_result_count = False
    actions = ["retry_failed"]

    @admin.action(description=gettext_lazy("重新处理所选的失败事件"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        retried = events_retry(event_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        if retried:
            messages.success(
                request,
                ngettext("已安排 %(n)d 个事件重新处理。", "已安排 %(n)d 个事件重新处理。", retried) % {"n": retried},
            )
        else:
            messages.warning(request, _("所选事件中没有处理失败的事件。"))

    def has_retry_permission(self, request):
        return request.user.has_perm("referrals.retry_event")
