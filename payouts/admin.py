"""Finance in the Django admin: withdrawals, payout runs, the ledger and tax records.

Everything here is read-only, for superusers too: money moves only through the services (the
ledger is append-only, R7, R11), so no screen adds, changes or deletes a row. Finance's one
action asks Alipay where a withdrawal stands and hands the answer to the same service the worker
uses. The monthly payout and tax sheets are exported from a page beside the withdrawal and tax
change lists; nothing of payouts is ever imported.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.db.models import Prefetch
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.kernel.admin_money import YuanFieldsMixin, yuan_column
from portal.kernel.admin_read_only import ReadOnlyAdmin, ReadOnlyTabularInline
from portal.kernel.audit import audit_trail
from portal.kernel.forms import MonthField, QueryForm
from portal.kernel.money import yuan_text
from portal.kernel.months import MonthError, add_months, month_bounds, month_of, month_parse

from . import exports, readable
from .alipay import AlipayClient
from .models import Entry, Posting, SettlementRun, TaxAssessment, Withdrawal
from .resources import SHANGHAI
from .rules import STALE_AFTER, QueryDue
from .withdrawals import withdrawal_query

OUT_BIZ_NO = re.compile(r"[Ww]?0*(\d{1,12})")


class MonthFilter(admin.SimpleListFilter):
    """The months that have rows (Asia/Shanghai), newest first; one query however many rows."""

    title = gettext_lazy("月份")
    parameter_name = "month"
    field_name = None  # set by each subclass

    def _is_datetime(self, model):
        return isinstance(model._meta.get_field(self.field_name), models.DateTimeField)

    def lookups(self, request, model_admin):
        queryset = model_admin.get_queryset(request)
        if self._is_datetime(model_admin.model):
            months = queryset.datetimes(self.field_name, "month", order="DESC", tzinfo=SHANGHAI)
        else:
            months = queryset.dates(self.field_name, "month", order="DESC")
        return [(f"{month:%Y-%m}", f"{month:%Y-%m}") for month in months]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            month = month_parse(self.value())
        except MonthError:  # refused before the list is built (MonthQueryCheckMixin): never here
            return queryset.none()
        start, end = month_bounds(month, SHANGHAI)
        if not self._is_datetime(queryset.model):
            start, end = start.date(), end.date()
        return queryset.filter(**{f"{self.field_name}__gte": start, f"{self.field_name}__lt": end})


class RequestedMonthFilter(MonthFilter):
    title = gettext_lazy("申请月份")
    field_name = "requested_at"


class AssessedMonthFilter(MonthFilter):
    title = gettext_lazy("所属月份")
    field_name = "month"


class MonthQuery(QueryForm):
    month = MonthField(label=gettext_lazy("月份"), required=False)


class MonthQueryCheckMixin:
    """A change list filtered by `?month=`: a month that cannot be read is said so, in a message on
    the unfiltered list answered with 400, rather than a list that is silently empty (or a 500)."""

    def changelist_view(self, request, extra_context=None):
        query = MonthQuery(request.GET)
        if query.is_valid():
            return super().changelist_view(request, extra_context)
        for error in query.errors.get("month", []):
            messages.error(request, _("月份：%(error)s") % {"error": error})
        request.GET = request.GET.copy()
        request.GET.pop("month")
        response = super().changelist_view(request, extra_context)
        response.status_code = 400
        return response


class MonthExportForm(forms.Form):
    month = MonthField(label=gettext_lazy("月份"))
    format = forms.ChoiceField(
        label=gettext_lazy("格式"), choices=[(exports.XLSX, "Excel (xlsx)"), (exports.CSV, "CSV")]
    )


class MonthlySheetExportMixin:
    """An "export" page beside the change list: a month and a format, then the sheet, streamed.

    Not import-export's ExportMixin: its export builds the whole Dataset in memory (see
    payouts/exports.py). The permission is `export_<model>`, the codename import-export's
    IMPORT_EXPORT_EXPORT_PERMISSION_CODE setting would check."""

    change_list_template = "admin/payouts/export_change_list.html"
    export_sheet = None  # exports.PAYOUT or exports.TAX
    export_title = None
    export_empty_reason = None  # why a month can have no rows, for the message that says so

    def export_permission(self):
        return f"{self.opts.app_label}.export_{self.opts.model_name}"

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        return [path("export/", self.admin_site.admin_view(self.export_view), name=name), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {"can_export": request.user.has_perm(self.export_permission()), "export_title": self.export_title}
        return super().changelist_view(request, extra_context={**(extra_context or {}), **extra})

    def export_view(self, request):
        if not request.user.has_perm(self.export_permission()):
            raise PermissionDenied
        latest = exports.latest_month(self.export_sheet)
        form = MonthExportForm(
            request.POST or None, initial={"month": self._month_wanted(request, latest), "format": exports.XLSX}
        )
        status = 200
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                return exports.sheet_response(self.export_sheet, data["month"], data["format"], request.user)
            except exports.SheetEmpty as empty:
                form.add_error("month", self._empty_message(empty.month, latest))
        elif form.errors:
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.opts,
            "title": self.export_title,
            "full_identity": request.user.has_perm(exports.FULL_IDENTITY_PERMISSION),
        }
        return TemplateResponse(request, "admin/payouts/export.html", context, status=status)

    @staticmethod
    def _month_wanted(request, latest):
        """The month the list was filtered by (the export link carries it), else the latest month
        with rows, else last month."""
        try:
            return month_parse(request.GET["month"])
        except (KeyError, MonthError):
            return latest or add_months(month_of(timezone.localdate(timezone=SHANGHAI)), -1)

    def _empty_message(self, month, latest):
        message = _("%(month)s 没有可导出的行：%(why)s。") % {
            "month": f"{month:%Y-%m}",
            "why": self.export_empty_reason,
        }
        if latest:
            message += _("最近有数据的月份是 %(latest)s。") % {"latest": f"{latest:%Y-%m}"}
        return message


@admin.register(Withdrawal)
class WithdrawalAdmin(MonthQueryCheckMixin, MonthlySheetExportMixin, ReadOnlyAdmin):
    """Withdrawals as they stand (R11.1), each with its ledger postings and audit trail."""

    list_display = [
        "out_biz_no",
        "masked_legal_name",
        "amount_yuan",
        "state",
        "requested_at",
        "finished_at",
        "failure_code",
    ]
    list_filter = ["state", RequestedMonthFilter]
    list_select_related = ["ambassador"]
    search_fields = ["alipay_order_id"]  # and out_biz_no: see get_search_results
    search_help_text = gettext_lazy("提现单号（W 开头）或支付宝单号")
    actions = ["reconcile"]
    fields = [
        "out_biz_no",
        "ambassador",
        "masked_alipay_account",
        "amount_yuan",
        "state",
        "requested_at",
        "submitted_at",
        "attempts",
        "finished_at",
        "alipay_order_id",
        "failure_code",
        "failure_message",
        "ledger_postings",
        "audit_entries",
    ]
    readonly_fields = fields
    export_sheet = exports.PAYOUT
    export_title = gettext_lazy("导出打款表")
    export_empty_reason = gettext_lazy("这个月没有到账的提现")
    amount_yuan = yuan_column(Withdrawal, "amount")

    @admin.display(description=gettext_lazy("提现单号"), ordering="pk")
    def out_biz_no(self, withdrawal):
        return withdrawal.out_biz_no

    @admin.display(description=gettext_lazy("真实姓名"))
    def masked_legal_name(self, withdrawal):
        return withdrawal.ambassador.masked_legal_name

    @admin.display(description=gettext_lazy("支付宝账号"))
    def masked_alipay_account(self, withdrawal):
        return withdrawal.ambassador.masked_alipay_account

    @admin.display(description=gettext_lazy("记账"))
    def ledger_postings(self, withdrawal):
        rows = [
            (
                timezone.localtime(posting.posted_at).strftime("%Y-%m-%d %H:%M:%S"),
                posting.get_kind_display(),
                readable.posting_moves(posting),
            )
            for posting in withdrawal.postings.order_by("posted_at", "pk").prefetch_related("entries")
        ]
        return _table([_("记账时间"), _("类型"), _("分录")], rows)

    @admin.display(description=gettext_lazy("审计记录"))
    def audit_entries(self, withdrawal):
        """What happened to the withdrawal, oldest first, each entry a sentence: who did what."""
        entries = reversed(audit_trail(withdrawal))
        rows = [(readable.withdrawal_audit_when(entry), readable.withdrawal_audit_sentence(entry)) for entry in entries]
        return _table([_("时间"), _("经过")], rows)

    def get_search_results(self, request, queryset, search_term):
        """out_biz_no is the id (W000000000042), so it is matched as one; else the Alipay order id."""
        term = search_term.strip()
        if not term:
            return queryset, False
        match = OUT_BIZ_NO.fullmatch(term)
        if match:
            return queryset.filter(pk=int(match[1])), False
        return queryset.filter(alipay_order_id=term), False

    def has_reconcile_permission(self, request):
        return request.user.has_perm("payouts.reconcile_withdrawal")

    @admin.action(description=gettext_lazy("向支付宝查询结果"), permissions=["reconcile"])
    def reconcile(self, request, queryset):
        """Ask Alipay about each selected withdrawal through `withdrawal_query`, which asks only
        when the withdrawal's fate is open and records the answer as the worker does."""
        try:
            client = AlipayClient.from_settings()
        except ImproperlyConfigured as error:
            messages.error(request, _("支付宝未配置：%(error)s") % {"error": error})
            return
        skipped = 0
        for withdrawal_id in queryset.order_by("pk").values_list("pk", flat=True):
            answer = withdrawal_query(withdrawal_id, actor=request.user, client=client)
            if answer.due == QueryDue.SETTLED:
                skipped += 1
            elif answer.due == QueryDue.TOO_SOON:
                messages.warning(
                    request,
                    _("%(no)s 刚提交，可能仍在处理中，请 %(minutes)d 分钟后再查。")
                    % {"no": answer.withdrawal.out_biz_no, "minutes": STALE_AFTER.seconds // 60},
                )
            else:
                after = answer.withdrawal
                level = messages.SUCCESS if after.state != Withdrawal.State.UNKNOWN else messages.WARNING
                before = Withdrawal.State(answer.state_before).label
                self.message_user(
                    request,
                    _("%(no)s：%(before)s → %(after)s %(code)s")
                    % {
                        "no": after.out_biz_no,
                        "before": before,
                        "after": after.get_state_display(),
                        "code": answer.code,
                    },
                    level,
                )
        if skipped:
            messages.info(
                request,
                ngettext(
                    "%(n)d 笔提现不在处理中或结果确认中，未查询。",
                    "%(n)d 笔提现不在处理中或结果确认中，未查询。",
                    skipped,
                )
                % {"n": skipped},
            )


def _table(headers, rows):
    if not rows:
        return "—"
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows)
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


@admin.register(SettlementRun)
class SettlementRunAdmin(YuanFieldsMixin, ReadOnlyAdmin):
    """Payout runs and their states. Decision: a payout run is a settlement run. Settlement (R7,
    day 31) is the batch that makes rebates withdrawable; the money then leaves one withdrawal
    at a time, each with its own state, when the ambassador asks (R11.1), so there is no separate
    batch of transfers to watch. A run without a finish time is still running, or stopped: settling
    its day again continues it after its last committed chunk."""

    list_display = [
        "day",
        "orders_settled",
        "bonuses_settled",
        "amount_settled_yuan",
        "debt_netted_yuan",
        "chunks_committed",
        "started_at",
        "finished_at",
    ]
    date_hierarchy = "day"
    amount_settled_yuan = yuan_column(SettlementRun, "amount_settled")
    debt_netted_yuan = yuan_column(SettlementRun, "debt_netted")


class EntryInline(ReadOnlyTabularInline):
    model = Entry
    fields = ["ambassador", "bucket", "amount_yuan", "order"]
    readonly_fields = fields
    amount_yuan = yuan_column(Entry, "amount")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ambassador__user", "order")


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    """The append-only ledger: a posting and its entries; corrections are new postings."""

    list_display = ["posted_at", "cause", "ambassadors", "amount_yuan", "moves"]
    list_filter = ["kind"]
    list_select_related = ["order", "bonus", "withdrawal", "settlement_run"]
    search_fields = ["=key"]
    search_help_text = gettext_lazy("记账键，例如 payout:1 或 settlement:17")
    date_hierarchy = "posted_at"
    fields = ["key", "kind", "posted_at", "order", "rebate_change", "bonus", "withdrawal", "settlement_run"]
    readonly_fields = fields
    inlines = [EntryInline]

    def get_queryset(self, request):
        entries = Entry.objects.select_related("ambassador").order_by("pk")
        return super().get_queryset(request).prefetch_related(Prefetch("entries", queryset=entries))

    @admin.display(description=gettext_lazy("原因"))
    def cause(self, posting):
        return readable.posting_cause(posting)

    @admin.display(description=gettext_lazy("云大使"))
    def ambassadors(self, posting):
        names = {entry.ambassador.masked_legal_name or str(entry.ambassador) for entry in posting.entries.all()}
        return "、".join(sorted(names))

    @admin.display(description=gettext_lazy("金额"))
    def amount_yuan(self, posting):
        return yuan_text(readable.posting_amount(posting))

    @admin.display(description=gettext_lazy("分录"))
    def moves(self, posting):
        return readable.posting_moves(posting)


@admin.register(TaxAssessment)
class TaxAssessmentAdmin(MonthQueryCheckMixin, MonthlySheetExportMixin, ReadOnlyAdmin):
    """The vendor-borne tax recorded at each payment (R11.2–11.3); a month's latest row is its record."""

    list_display = [
        "month_display",
        "masked_legal_name",
        "withdrawal",
        "net_income_yuan",
        "gross_income_yuan",
        "tax_yuan",
        "tax_this_payment_yuan",
        "assessed_at",
    ]
    list_filter = [AssessedMonthFilter]
    list_select_related = ["ambassador", "withdrawal"]
    export_sheet = exports.TAX
    export_title = gettext_lazy("导出个税表")
    export_empty_reason = gettext_lazy("这个月没有个税记录")

    fields = [
        "month_display",
        "ambassador",
        "withdrawal",
        "net_income_yuan",
        "gross_income_yuan",
        "deduction_yuan",
        "taxable_income_yuan",
        "rate_percent",
        "quick_deduction_yuan",
        "tax_yuan",
        "tax_this_payment_yuan",
        "assessed_at",
    ]
    readonly_fields = fields
    net_income_yuan = yuan_column(TaxAssessment, "net_income")
    gross_income_yuan = yuan_column(TaxAssessment, "gross_income")
    deduction_yuan = yuan_column(TaxAssessment, "deduction")
    taxable_income_yuan = yuan_column(TaxAssessment, "taxable_income")
    quick_deduction_yuan = yuan_column(TaxAssessment, "quick_deduction")
    tax_yuan = yuan_column(TaxAssessment, "tax")
    tax_this_payment_yuan = yuan_column(TaxAssessment, "tax_this_payment")

    @admin.display(description=gettext_lazy("所属月份"), ordering="month")
    def month_display(self, assessment):
        return f"{assessment.month:%Y-%m}"

    @admin.display(description=gettext_lazy("税率"))
    def rate_percent(self, assessment):
        return f"{assessment.rate * 100:.0f}%"

    @admin.display(description=gettext_lazy("真实姓名"))
    def masked_legal_name(self, assessment):
        return assessment.ambassador.masked_legal_name
