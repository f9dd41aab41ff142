"""Admin actions that must carry a reason (risk decisions, blacklisting): an
intermediate page asks for it, and nothing changes without one."""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("记入审计日志。"),
    )


def reason_from(request):
    """The reason posted with the action's second step, or None while it is still to be asked."""
    if "reason" not in request.POST:
        return None
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else None


def ask_for_reason(model_admin, request, *, title, intro, items):
    """The page that asks for the reason (again, with the error, if it was left empty)."""
    form = ReasonForm(request.POST if "reason" in request.POST else None)
    if form.is_bound:
        form.is_valid()  # so an empty reason shows its error
    return TemplateResponse(
        request,
        "admin/reason_action.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "items": items,
            "form": form,
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": model_admin.model._meta,
        },
    )
