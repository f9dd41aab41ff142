"""Staff screens: ambassadors are read-only here; verifications are decided
through the services, never by editing fields.

Personal data is masked on every screen, with one exception: the review page of a verification
shows the full legal name and ID number to a holder of `ambassadors.view_full_identity` (the risk
group), who must compare them with the person's documents; each such view is written to the audit
log before the page renders."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.kernel.audit import audit_record
from portal.kernel.errors import PortalError

from . import services
from .models import Ambassador, Verification

FULL_IDENTITY_PERMISSION = "ambassadors.view_full_identity"
# On the review page, for a holder of the permission: the value in clear instead of its mask.
IN_CLEAR = {"masked_legal_name": "legal_name_in_clear", "masked_id_number": "id_number_in_clear"}


class MaskedIdentityMixin:
    """Personal data in the admin, masked: staff never see it in clear here."""

    @admin.display(description=_("真实姓名"))
    def masked_legal_name(self, obj):
        return obj.masked_legal_name

    @admin.display(description=_("身份证号"))
    def masked_id_number(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return obj.masked_phone


@admin.register(Ambassador)
class AmbassadorAdmin(MaskedIdentityMixin, admin.ModelAdmin):
    """Shows the binding masked; nothing about it can be edited (R10.1)."""

    list_display = ["user", "masked_legal_name", "program_state_display", "joined_at", "verified_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    list_filter = [
        ("verified_at", admin.EmptyFieldListFilter),
        ("cancelled_at", admin.EmptyFieldListFilter),
        ("blacklisted_at", admin.EmptyFieldListFilter),
    ]
    fields = [
        "user",
        "program_state_display",
        "masked_legal_name",
        "masked_id_number",
        "masked_phone",
        "masked_alipay_account",
        "joined_at",
        "verified_at",
        "alipay_bound_at",
        "cancelled_at",
        "blacklisted_at",
        "blacklist_reason",
    ]
    readonly_fields = fields
    # Blacklisting and lifting (R6.3) reach referrals' associations: the risk desk adds them
    # (referrals/risk/admin.py), where both apps' changes are composed.

    @admin.display(description=_("状态"))
    def program_state_display(self, obj):
        return obj.program_state.label

    @admin.display(description=_("支付宝账号"))
    def masked_alipay_account(self, obj):
        return obj.masked_alipay_account

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VerificationDecisionForm(forms.ModelForm):
    """The only input on a verification: the decision, and a reason to reject."""

    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("", "—"), ("approve", _("通过")), ("reject", _("不通过"))],
    )
    reason = forms.CharField(
        label=_("不通过原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("云大使会看到这段文字，请写清需要如何修改。"),
    )

    class Meta:
        model = Verification
        fields = []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("驳回时必须填写原因。"))
        return cleaned


@admin.register(Verification)
class VerificationAdmin(MaskedIdentityMixin, admin.ModelAdmin):
    list_display = ["submitted_at", "ambassador", "masked_legal_name", "masked_id_number", "status", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["ambassador__user", "decided_by"]
    search_fields = ["ambassador__user__email"]
    actions = ["approve_selected"]
    readonly = [
        "ambassador",
        "masked_legal_name",
        "masked_id_number",
        "masked_phone",
        "consent_version",
        "consented_at",
        "status",
        "submitted_at",
        "decided_at",
        "decided_by",
        "reject_reason",
    ]
    readonly_fields = [*readonly, *IN_CLEAR.values()]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj and obj.status == Verification.Status.SUBMITTED and self._may_decide(request):
            kwargs["form"] = VerificationDecisionForm
            kwargs["fields"] = ["decision", "reason"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        fields = list(self.readonly)
        if obj and self._shows_full_identity(request):
            fields = [IN_CLEAR.get(field, field) for field in fields]
        if obj and obj.status == Verification.Status.SUBMITTED and self._may_decide(request):
            # Undecided, the stored reason is empty: the reason's input takes its place, not a second label.
            fields = [field for field in fields if field != "reject_reason"] + ["decision", "reason"]
        return fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return self._may_decide(request)

    def _may_decide(self, request):
        return request.user.has_perm("ambassadors.decide_verification")

    def _shows_full_identity(self, request):
        return request.user.has_perm(FULL_IDENTITY_PERMISSION)

    @admin.display(description=_("真实姓名（完整，查看已记入审计）"))
    def legal_name_in_clear(self, obj):
        return obj.legal_name  # listed in get_fields only for holders, and audited (render_change_form)

    @admin.display(description=_("身份证号（完整，查看已记入审计）"))
    def id_number_in_clear(self, obj):
        return obj.id_number

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """Every page that shows a verification in clear is on record (who, whose, when) first: the
        entry is written here, in the change view's transaction, which commits before the page's
        template renders; an entry that cannot be written means no page."""
        if obj is not None and self._shows_full_identity(request):
            audit_record(
                actor=request.user,
                action="verification.full_identity_viewed",
                target=obj,
                after={"ambassador": obj.ambassador_id, "name": obj.masked_legal_name},
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        try:
            if decision == "approve":
                decided = services.verification_approve(verification=obj, actor=request.user)
                if decided.status == Verification.Status.REJECTED:
                    request.decision_refused = True
                    messages.warning(request, _("未能通过，已自动驳回：%(reason)s") % {"reason": decided.reject_reason})
            elif decision == "reject":
                services.verification_reject(verification=obj, actor=request.user, reason=form.cleaned_data["reason"])
        except PortalError as refusal:
            request.decision_refused = True
            messages.error(request, refusal.message)
        obj.refresh_from_db()

    def response_change(self, request, obj):
        if getattr(request, "decision_refused", False):
            # Stay on the page with the refusal, not the admin's "changed successfully".
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here."""

    @admin.action(description=_("通过所选的实名认证"), permissions=["change"])
    def approve_selected(self, request, queryset):
        approved = 0
        for verification in queryset.filter(status=Verification.Status.SUBMITTED):
            try:
                decided = services.verification_approve(verification=verification, actor=request.user)
            except PortalError as refusal:
                messages.error(request, f"{verification}: {refusal.message}")
                continue
            if decided.status == Verification.Status.APPROVED:
                approved += 1
            else:
                messages.warning(request, f"{verification}: {decided.reject_reason}")
        messages.success(
            request, ngettext("已通过 %(n)d 份申请。", "已通过 %(n)d 份申请。", approved) % {"n": approved}
        )
