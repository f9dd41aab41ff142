"""django-import-export resources for finance's two monthly sheets: what is paid and the tax on it.

Export only. Money is never imported: withdrawals, postings and tax records are written by the
services alone (R11), so `import_data` refuses, and the admin offers no import for these models.

Each resource names its columns, gives each row's values, and chooses the month's rows
(`filter_export(queryset, month=...)`); `payouts.exports` streams them to csv or xlsx. Column
headers are fixed Chinese, not translated, and the whole sheet is written in the source language:
a sheet is a bookkeeping and tax-filing record, and two people exporting the same month must get
the same file whatever language their admin is in.

Names and ID numbers are masked unless the resource is built with `full_identity=True`, which
`payouts.exports` does only for holders of `payouts.export_full_id_numbers`, and audits.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max
from import_export import fields, resources, widgets

from .models import TaxAssessment, Withdrawal

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# R11.2: the vendor bears the tax; the ambassador is never charged.
TAX_PAID_BY = "平台代缴"


def month_bounds(month):
    """The first instant of `month` and of the next one, in Asia/Shanghai."""
    start = datetime(month.year, month.month, 1, tzinfo=SHANGHAI)
    return start, (start + timedelta(days=32)).replace(day=1)


def _money(column_name):
    return fields.Field(column_name=column_name, widget=widgets.DecimalWidget())


class ExportOnlyResource(resources.ModelResource):
    """A sheet about money or identities: read out, never written back."""

    def __init__(self, *, full_identity=False, **kwargs):
        super().__init__(**kwargs)
        self.full_identity = full_identity

    def import_data(self, *args, **kwargs):
        raise TypeError("money is never imported: it moves only through the payouts services")

    def identity_of(self, ambassador):
        """(name, ID number), in clear only for an export allowed to show them."""
        if self.full_identity:
            return str(ambassador.legal_name or ""), str(ambassador.id_number or "")
        return ambassador.masked_legal_name, ambassador.masked_id_number

    def dehydrate_legal_name(self, row):
        return self.identity_of(row.ambassador)[0]

    def dehydrate_id_number(self, row):
        return self.identity_of(row.ambassador)[1]


class PayoutSheetResource(ExportOnlyResource):
    """打款表: the withdrawals paid in a month (到账时间 in that Asia/Shanghai month), the same
    payments the month's tax is computed on (R11.2)."""

    month = fields.Field(column_name="月份")
    out_biz_no = fields.Field(attribute="out_biz_no", column_name="提现单号", widget=widgets.CharWidget())
    legal_name = fields.Field(column_name="姓名")
    id_number = fields.Field(column_name="身份证号")
    alipay_account = fields.Field(attribute="ambassador__masked_alipay_account", column_name="支付宝账号")
    amount = fields.Field(attribute="amount", column_name="金额", widget=widgets.DecimalWidget())
    state = fields.Field(column_name="状态")
    requested_at = fields.Field(
        attribute="requested_at", column_name="申请时间", widget=widgets.DateTimeWidget(DATETIME_FORMAT)
    )
    finished_at = fields.Field(
        attribute="finished_at", column_name="到账时间", widget=widgets.DateTimeWidget(DATETIME_FORMAT)
    )
    alipay_order_id = fields.Field(attribute="alipay_order_id", column_name="支付宝单号", widget=widgets.CharWidget())

    class Meta:
        model = Withdrawal
        fields = (
            "month",
            "out_biz_no",
            "legal_name",
            "id_number",
            "alipay_account",
            "amount",
            "state",
            "requested_at",
            "finished_at",
            "alipay_order_id",
        )
        export_order = fields
        chunk_size = 2000

    def get_queryset(self):
        # Only the columns the sheet shows: each encrypted value loaded is one decryption per row.
        return Withdrawal.objects.select_related("ambassador").only(
            "amount",
            "state",
            "requested_at",
            "finished_at",
            "alipay_order_id",
            "ambassador__legal_name",
            "ambassador__id_number",
            "ambassador__alipay_account",
        )

    def filter_export(self, queryset, *, month, **kwargs):
        start, end = month_bounds(month)
        return queryset.filter(state=Withdrawal.State.SUCCEEDED, finished_at__gte=start, finished_at__lt=end).order_by(
            "finished_at", "pk"
        )

    def dehydrate_month(self, withdrawal):
        return withdrawal.finished_at.astimezone(SHANGHAI).strftime("%Y-%m")

    def dehydrate_state(self, withdrawal):
        # The labels are lazy translations: resolved once per export, not once per row.
        if not hasattr(self, "_state_labels"):
            self._state_labels = {value: str(label) for value, label in Withdrawal.State.choices}
        return self._state_labels[withdrawal.state]


class TaxSheetResource(ExportOnlyResource):
    """个税表: one row per ambassador for a month, the month's latest assessment, which covers
    every payment of the month (R11.2–11.3: per individual, by verified name and ID number)."""

    month = fields.Field(column_name="月份")
    legal_name = fields.Field(column_name="姓名")
    id_number = fields.Field(column_name="身份证号")
    net_income = fields.Field(attribute="net_income", column_name="到手收入", widget=widgets.DecimalWidget())
    gross_income = fields.Field(
        attribute="gross_income", column_name="应税收入（含税）", widget=widgets.DecimalWidget()
    )
    deduction = fields.Field(attribute="deduction", column_name="减除费用", widget=widgets.DecimalWidget())
    taxable_income = fields.Field(
        attribute="taxable_income", column_name="应纳税所得额", widget=widgets.DecimalWidget()
    )
    rate = fields.Field(attribute="rate", column_name="税率", widget=widgets.DecimalWidget())
    quick_deduction = fields.Field(
        attribute="quick_deduction", column_name="速算扣除数", widget=widgets.DecimalWidget()
    )
    tax = fields.Field(attribute="tax", column_name="个人所得税", widget=widgets.DecimalWidget())
    paid_by = fields.Field(column_name="缴纳方")

    class Meta:
        model = TaxAssessment
        fields = (
            "month",
            "legal_name",
            "id_number",
            "net_income",
            "gross_income",
            "deduction",
            "taxable_income",
            "rate",
            "quick_deduction",
            "tax",
            "paid_by",
        )
        export_order = fields
        chunk_size = 2000

    def get_queryset(self):
        return TaxAssessment.objects.select_related("ambassador").only(
            "month",
            "net_income",
            "gross_income",
            "deduction",
            "taxable_income",
            "rate",
            "quick_deduction",
            "tax",
            "ambassador__legal_name",
            "ambassador__id_number",
        )

    def filter_export(self, queryset, *, month, **kwargs):
        """Each ambassador's latest assessment of the month. Assessments only ever grow, one at a
        time under the ambassador's lock, so the highest id is the latest (as `tax_records_of`)."""
        month = month.replace(day=1)
        latest = TaxAssessment.objects.filter(month=month).values("ambassador").annotate(last=Max("pk")).values("last")
        return queryset.filter(pk__in=latest).order_by("ambassador_id")

    def dehydrate_month(self, assessment):
        return assessment.month.strftime("%Y-%m")

    def dehydrate_paid_by(self, assessment):
        return TAX_PAID_BY
