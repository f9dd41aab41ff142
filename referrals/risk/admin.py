"""The risk desk (R9.3, R4.4): staff in the `risk` group review held and flagged
cases and clear or confirm them, on the case's own page or in bulk from the list,
always with a reason. Every decision goes through
`referrals.risk.services.risk_case_decide`, which locks the case, refuses a second
decision and audits it on the case and on each order it changes."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ambassadors.admin import AmbassadorAdmin
from ambassadors.identity import same_person_group
from ambassadors.models import Ambassador, IdentitySignal
from ambassadors.services import ambassador_blacklist_lift
from portal.kernel.admin_actions import ask_for_reason, reason_from
from portal.kernel.admin_read_only import ReadOnlyAdmin
from portal.kernel.audit import audit_trail
from portal.kernel.errors import PortalError
from portal.kernel.personal_data import mask_email
from referrals.models import RiskCase, RiskVerdict

from .evidence import case_evidence
from .services import membership_blacklist, risk_case_decide


class CaseDecisionForm(forms.Form):
    """The case page's decision: one of the two verdicts, and the reason for the audit log."""

    verdict = forms.ChoiceField(choices=[(RiskVerdict.CLEARED, ""), (RiskVerdict.CONFIRMED, "")])
    reason = forms.CharField(
        label=gettext_lazy("审核理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("记入审计日志和订单的审核记录。"),
        error_messages={"required": gettext_lazy("请填写审核理由。")},
    )


class SignalKindFilter(admin.SimpleListFilter):
    title = gettext_lazy("关联信号")
    parameter_name = "signal"

    def lookups(self, request, model_admin):
        return IdentitySignal.Kind.choices

    def queryset(self, request, queryset):
        if self.value() in IdentitySignal.Kind.values:
            # Stored comma-separated: match a whole kind, not part of another.
            value = self.value()
            return queryset.filter(
                Q(signals=value)
                | Q(signals__startswith=f"{value},")
                | Q(signals__endswith=f",{value}")
                | Q(signals__contains=f",{value},")
            )
        return queryset


@admin.register(RiskCase)
class RiskCaseAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "kind", "status", "ambassador_display", "order", "signal_labels", "share"]
    list_filter = ["status", "kind", SignalKindFilter, ("ambassador", admin.RelatedOnlyFieldListFilter), "opened_at"]
    list_select_related = ["ambassador__user", "order", "decided_by"]
    search_fields = ["ambassador__user__email", "order__billing_id"]
    date_hierarchy = "opened_at"
    actions = ["clear_cases", "confirm_cases"]
    fields = [
        "kind",
        "status",
        "ambassador_display",
        "order",
        "signal_labels",
        "linked_accounts",
        "evidence",
        "opened_at",
        "decided_by",
        "decided_at",
        "decision_reason",
        "decision_trail",
    ]
    readonly_fields = fields

    def has_decide_permission(self, request):
        return request.user.has_perm("referrals.decide_riskcase")

    def get_urls(self):
        decide = self.admin_site.admin_view(require_POST(self.decide_view))
        return [path("<int:pk>/decide/", decide, name="referrals_riskcase_decide"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The case page, with the decision form while the case is open."""
        extra_context = (extra_context or {}) | {
            "decision_form": CaseDecisionForm(),
            "can_decide": self.has_decide_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, pk):
        """Clear or confirm one case from its page; a refusal (no reason, already decided)
        is a message and changes nothing."""
        if not self.has_decide_permission(request):
            raise PermissionDenied
        case = get_object_or_404(RiskCase, pk=pk)
        form = CaseDecisionForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                self.message_user(request, " ".join(errors), messages.ERROR)
        else:
            verdict = form.cleaned_data["verdict"]
            try:
                risk_case_decide(case=case, verdict=verdict, actor=request.user, reason=form.cleaned_data["reason"])
            except PortalError as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
            else:
                done = _("已排除该案件的风险。") if verdict == RiskVerdict.CLEARED else _("已确认该案件无效。")
                self.message_user(request, done, messages.SUCCESS)
        return redirect(reverse("admin:referrals_riskcase_change", args=[case.pk]))

    @admin.display(description=gettext_lazy("触发依据"))
    def evidence(self, case):
        found = case_evidence(case)
        sentences = format_html_join("", "<p>{}</p>", ((sentence,) for sentence in found.sentences))
        rows = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', found.figures)
        return format_html('{}<table class="evidence-figures"><tbody>{}</tbody></table>', sentences, rows)

    @admin.display(description=gettext_lazy("云大使"), ordering="ambassador__user__email")
    def ambassador_display(self, case):
        return f"{case.ambassador.masked_legal_name or '—'} · {mask_email(case.ambassador.user.email)}"

    @admin.display(description=gettext_lazy("关联信号"))
    def signal_labels(self, case):
        labels = dict(IdentitySignal.Kind.choices)
        return "、".join(str(labels.get(kind, kind)) for kind in case.signals.split(",") if kind) or "—"

    @admin.display(description=gettext_lazy("占比"))
    def share(self, case):
        if case.kind != RiskCase.Kind.SUSPECT_SHARE:
            return "—"
        return f"{case.details.get('suspect')}/{case.details.get('total')}"

    @admin.display(description=gettext_lazy("同人账户"))
    def linked_accounts(self, case):
        """The order's customer and every account sharing a signal with them (the ambassador's
        own among them), with the signals as the customer showed them; emails masked."""
        if case.order_id is None:
            return "—"
        customer = case.order.customer
        group = same_person_group(customer)
        accounts = get_user_model().objects.in_bulk(list(group))
        labels = dict(IdentitySignal.Kind.choices)
        lines = [(_("下单客户"), mask_email(customer.email), "—")]
        for user_id, kinds in group.items():
            if user_id in accounts:
                role = _("云大使本人") if user_id == case.ambassador.user_id else _("关联账户")
                shared = "、".join(str(labels[kind]) for kind in sorted(kinds))
                lines.append((role, mask_email(accounts[user_id].email), _("共用：%(signals)s") % {"signals": shared}))
        return format_html_join("", "<div>{}：{}（{}）</div>", lines)

    @admin.display(description=gettext_lazy("审核记录"))
    def decision_trail(self, case):
        return _trail(audit_trail(case))

    @admin.action(description=gettext_lazy("排除风险（需填写理由）"), permissions=["decide"])
    def clear_cases(self, request, queryset):
        return self._decide(request, queryset, RiskVerdict.CLEARED, _("排除风险"))

    @admin.action(description=gettext_lazy("确认无效（需填写理由）"), permissions=["decide"])
    def confirm_cases(self, request, queryset):
        return self._decide(request, queryset, RiskVerdict.CONFIRMED, _("确认无效"))

    def _decide(self, request, queryset, verdict, title):
        open_cases = queryset.filter(status=RiskCase.Status.OPEN).select_related("ambassador__user", "order")
        reason = reason_from(request)
        if reason is None:
            items = [
                " · ".join(
                    filter(
                        None, [case.get_kind_display(), mask_email(case.ambassador.user.email), str(case.order or "")]
                    )
                )
                for case in open_cases
            ]
            intro = _("%(count)d 个待审核案件：") % {"count": len(items)}
            return ask_for_reason(self, request, title=title, intro=intro, items=items)
        decided = 0
        for case in open_cases:
            try:
                risk_case_decide(case=case, verdict=verdict, actor=request.user, reason=reason)
                decided += 1
            except PortalError as refusal:
                self.message_user(request, f"{case}: {refusal.message}", messages.ERROR)
        done = (
            _("已排除 %(count)d 个案件的风险。")
            if verdict == RiskVerdict.CLEARED
            else _("已确认 %(count)d 个案件无效。")
        )
        self.message_user(request, done % {"count": decided}, messages.SUCCESS)
        return None


def order_decisions(order):
    """The risk desk's decisions on an order, for the order's admin page."""
    return _trail(audit_trail(order).filter(action__startswith="risk."))


ACTION_LABELS = {
    "risk.cleared": gettext_lazy("排除风险"),
    "risk.confirmed": gettext_lazy("确认无效"),
    "risk.case_cleared": gettext_lazy("排除风险"),
    "risk.case_confirmed": gettext_lazy("确认无效"),
    "risk.hold": gettext_lazy("暂停结算，转人工审核"),
}


def _trail(entries):
    """Audit entries as lines: when, what, who, why."""
    lines = [
        (
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M"),
            ACTION_LABELS.get(entry.action, entry.action),
            entry.actor or _("系统"),
            entry.reason or "—",
        )
        for entry in entries
    ]
    return format_html_join("", "<div>{} · {} · {} · {}</div>", lines) if lines else "—"


admin.site.unregister(Ambassador)


@admin.register(Ambassador)
class AmbassadorBlacklistAdmin(AmbassadorAdmin):
    """The ambassador's page with risk control's two actions (R6.3): blacklisting goes through
    `membership_blacklist`, which also lets the ambassador's customers go."""

    actions = ["blacklist", "lift_blacklist"]

    def has_blacklist_permission(self, request):
        return request.user.has_perm("ambassadors.blacklist_ambassador")

    @admin.action(description=gettext_lazy("列入黑名单（需填写理由，云大使可见）"), permissions=["blacklist"])
    def blacklist(self, request, queryset):
        """R6.3 by hand: the link stops associating and the customers are let go."""
        return self._with_reason(request, queryset.filter(blacklisted_at__isnull=True), membership_blacklist)

    @admin.action(description=gettext_lazy("解除黑名单（需填写理由）"), permissions=["blacklist"])
    def lift_blacklist(self, request, queryset):
        return self._with_reason(request, queryset.filter(blacklisted_at__isnull=False), ambassador_blacklist_lift)

    def _with_reason(self, request, queryset, service):
        ambassadors = list(queryset.select_related("user"))
        reason = reason_from(request)
        if reason is None:
            items = [f"{ambassador.user.email} · {ambassador.masked_legal_name}" for ambassador in ambassadors]
            return ask_for_reason(self, request, title=_("填写理由"), intro=_("将处理以下云大使："), items=items)
        for ambassador in ambassadors:
            service(ambassador=ambassador, actor=request.user, reason=reason)
        self.message_user(request, _("已处理 %(count)d 位云大使。") % {"count": len(ambassadors)}, messages.SUCCESS)
        return None
