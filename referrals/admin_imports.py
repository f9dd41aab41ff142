"""Spreadsheet imports in the admin that go through the services, not straight into tables."""

import tablib
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext


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
