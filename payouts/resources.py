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

A row is read as a named tuple of the columns the sheet needs (`row_type`), not as a model
instance: building 100,000 instances was a quarter of an export's time. Rows of one ambassador
repeat (a month's withdrawals), and each encrypted value read is a Fernet decryption, so a row does
not read its ambassador: a resource shows each ambassador's identity as
worked out once per export (`identity`), loaded for a batch of rows in one query
(`identities_load`), and keeps at most IDENTITY_CACHE_SIZE of them, so memory stays bounded
whatever the month holds.
"""

import numbers
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from itertools import islice
from operator import attrgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Max, QuerySet
from django.utils import numberformat, timezone, translation
from django.utils.formats import get_format, sanitize_strftime_format
from import_export import fields, resources, widgets

from ambassadors.models import Ambassador
from portal.kernel.months import month_bounds, month_of

from .models import TaxAssessment, Withdrawal

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# R11.2: the vendor bears the tax; the ambassador is never charged.
TAX_PAID_BY = "平台代缴"
# The ambassadors' identities one export keeps (a few hundred bytes each): the oldest go first.
IDENTITY_CACHE_SIZE = 10_000


def _money(column_name):
    return fields.Field(column_name=column_name, widget=widgets.DecimalWidget())


def column_exporter(field, **render):
    """`[field.export(row, **render) for row in rows]` as one function of a batch of rows, with
    what the sheets' widgets look up for every value (the language's number format, the current
    time zone, the sanitised strftime format) looked up once, and each value rendered in a step
    of a list comprehension rather than a call through the field and its widget. Same values
    (tested against `field.export`); any other widget goes through `field.export` itself."""
    native = render.get("force_native_type", False)
    widget, values_of = field.widget, _column_reader(field)
    if type(widget) is widgets.CharWidget and widget.coerce_to_string:

        def export(rows):
            return [value if type(value) is str else widget.render(value, **render) for value in values_of(rows)]

    elif type(widget) is widgets.DecimalWidget and widget.coerce_to_string and not native:
        number_text, plain = _number_renderer()

        def export(rows):
            if not plain:
                return [number_text(value) for value in values_of(rows)]
            # A finite Decimal's str() is format(value, "f") unless it is in "E" notation; a short
            # one is within number_format's limit.
            return [
                text
                if type(value) is Decimal and value.is_finite() and "E" not in (text := str(value)) and len(text) <= 100
                else number_text(value)
                for value in values_of(rows)
            ]

    elif type(widget) is widgets.DateTimeWidget and settings.USE_TZ and (native or widget.coerce_to_string):
        local_times = _datetime_renderer(widget.formats[0], timezone.get_current_timezone(), native=native)

        def export(rows):
            return local_times(values_of(rows))

    else:

        def export(rows):
            return [field.export(row, **render) for row in rows]

    return export


def _number_renderer():
    """NumberWidget.render: number_format(value), in the current language."""
    language = translation.get_language()
    decimal_separator = get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
    grouping = get_format("NUMBER_GROUPING", language, use_l10n=True)
    thousand_separator = get_format("THOUSAND_SEPARATOR", language, use_l10n=True)
    # Without grouping and with a point, number_format writes a Decimal as format(value, "f").
    plain = decimal_separator == "." and not (settings.USE_THOUSAND_SEPARATOR and grouping)

    def number_text(value):
        if plain and type(value) is Decimal and value.is_finite():
            _, digits, exponent = value.as_tuple()
            if abs(exponent) + len(digits) <= 200:  # number_format's limit before "e" notation
                return format(value, "f")
        if value is None or not isinstance(value, numbers.Number):
            return ""
        return "" + numberformat.format(  # "" + : a plain str, as NumberWidget's, not a SafeString
            value, decimal_separator, None, grouping, thousand_separator, force_grouping=False, use_l10n=True
        )

    return number_text, plain


def _datetime_renderer(time_format, zone, *, native=False):
    """DateTimeWidget.render of a column of times, the widget's format `time_format` and `zone`
    the current time zone: timezone.localtime(value), then the naive time (xlsx) or strftime."""
    strftime_format = sanitize_strftime_format(time_format)
    iso = time_format == "%Y-%m-%d %H:%M:%S"  # isoformat's first 19 characters, 6× as fast

    def local_time(value):
        if not value or not isinstance(value, datetime):
            return ""
        if value.utcoffset() is None:
            raise ValueError("localtime() cannot be applied to a naive datetime")
        value = value.astimezone(zone)
        if native:
            return value.replace(tzinfo=None)
        if iso and value.year >= 1000:
            return value.isoformat(" ", "seconds")[:19]
        return value.strftime(strftime_format)

    if iso and not native:
        return HourlyClock(local_time)
    return partial(_each, local_time)


def _each(function, values):
    """`function` of each value, as a list."""
    return [function(value) for value in values]


def _column_reader(field):
    """`[field.get_value(row) for row in rows]`: for a column read straight off the row (no `__`
    path), one attribute look-up per row, and get_value itself only for a batch with something
    to call, a dict or an error in it."""
    attribute, get_value = field.attribute, field.get_value
    if attribute is None or "__" in attribute:
        return lambda rows: [get_value(row) for row in rows]
    read = attrgetter(attribute)

    def values_of(rows):
        try:
            values = list(map(read, rows))
        except (AttributeError, ValueError, ObjectDoesNotExist):  # get_value's None
            return [get_value(row) for row in rows]
        if any(map(callable, values)):  # a method to call, or a dict's own
            return [get_value(row) for row in rows]
        return values

    return values_of


class HourlyClock:
    """`local_time` of each of a column of times (its "YYYY-MM-DD HH:MM:SS" in a time zone): for a
    time in UTC, worked out once per hour it falls in and its minutes and seconds appended. A sheet's
    times fall in a few hundred hours a month, and a time zone conversion and formatting per
    value was a third of a csv export's time. An hour whose local time does not run from :00:00
    to :59:59 (a change of offset in it, an offset in odd minutes), and a time not in UTC, goes
    value by value. At most MAX_HOURS hours are kept."""

    MAX_HOURS = 10_000
    EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
    SECOND, HOUR = timedelta(seconds=1), timedelta(hours=1)
    MINUTES_SECONDS = tuple(f"{minute:02d}:{second:02d}" for minute in range(60) for second in range(60))

    @classmethod
    def of(cls, time_format, zone):
        """The clock of `_datetime_renderer(time_format, zone)`."""
        clock = _datetime_renderer(time_format, zone)
        if not isinstance(clock, cls):
            raise ValueError(f"no hourly clock for {time_format!r}")
        return clock

    def __init__(self, local_time):
        self.local_time = local_time
        self.hours = {}  # hour since the epoch → its local "YYYY-MM-DD HH:", or "" to go value by value

    def __call__(self, values):
        """[local_time(value) for value in values]"""
        hours, minutes_seconds, local_time = self.hours, self.MINUTES_SECONDS, self.local_time
        epoch, one_second = self.EPOCH, self.SECOND
        texts = []
        for value in values:
            if type(value) is datetime and value.tzinfo is UTC:
                hour, second = divmod((value - epoch) // one_second, 3600)
                start = hours.get(hour)
                if start is None:
                    start = self._hour_start(hour)
                if start:
                    texts.append(start + minutes_seconds[second])
                    continue
            texts.append(local_time(value))
        return texts

    def hour_starts(self, values):
        """The local "YYYY-MM-DD HH:" of each time, or "" where it goes value by value."""
        hours, epoch, one_hour = self.hours, self.EPOCH, self.HOUR
        starts = []
        for value in values:
            if type(value) is datetime and value.tzinfo is UTC:
                hour = (value - epoch) // one_hour
                start = hours.get(hour)
                starts.append(self._hour_start(hour) if start is None else start)
            else:
                starts.append("")
        return starts

    def _hour_start(self, hour):
        if len(self.hours) >= self.MAX_HOURS:
            self.hours.clear()
        first = self.EPOCH + timedelta(hours=hour)
        last = first + timedelta(seconds=3599)
        text, last_text = self.local_time(first), self.local_time(last)
        start = text[:-5]
        # From :00:00 to :59:59 of one local hour in 3,599 seconds: no change of offset on the way.
        if not (len(text) == 19 and text == start + "00:00" and last_text == start + "59:59"):
            start = ""
        self.hours[hour] = start
        return start


class ExportOnlyResource(resources.ModelResource):
    """A sheet about money or identities: read out, never written back."""

    # The ambassador's encrypted fields the sheet shows: decrypted once per ambassador and export.
    identity_fields = ("legal_name", "id_number")
    column_widths = {}  # field name → width in xlsx
    row_type = None  # a NamedTuple of the columns a row reads (its fields' names, as values_list takes them)
    total_fields = ()  # money columns summed in xlsx's totals row
    percent_fields = ()  # rates, written as percentages

    def __init__(self, *, full_identity=False, **kwargs):
        super().__init__(**kwargs)
        self.full_identity = full_identity
        self._identities = {}  # ambassador id → identity_shown(ambassador), oldest first

    def import_data(self, *args, **kwargs):
        raise TypeError("money is never imported: it moves only through the payouts services")

    def iter_queryset(self, queryset):
        """The rows as `row_type` tuples, read a chunk at a time from a server-side cursor."""
        if not isinstance(queryset, QuerySet):
            return super().iter_queryset(queryset)
        rows = queryset.values_list(*self.row_type._fields).iterator(chunk_size=self.get_chunk_size())
        return map(self.row_type._make, rows)

    def identity_shown(self, ambassador):
        """(name, ID number), in clear only for an export allowed to show them."""
        if self.full_identity:
            return str(ambassador.legal_name or ""), str(ambassador.id_number or "")
        return ambassador.masked_legal_name, ambassador.masked_id_number

    def identities_load(self, ambassador_ids):
        """Work out the identities of these ambassadors that this export does not know yet, in one
        query; the oldest known are let go beyond IDENTITY_CACHE_SIZE."""
        missing = set(ambassador_ids).difference(self._identities)
        if not missing:
            return
        excess = len(self._identities) + len(missing) - IDENTITY_CACHE_SIZE
        for oldest in list(islice(self._identities, max(excess, 0))):
            del self._identities[oldest]
        for ambassador in Ambassador.objects.filter(pk__in=missing).only(*self.identity_fields):
            self._identities[ambassador.pk] = self.identity_shown(ambassador)

    def identity(self, row):
        """The identity of the row's ambassador as this sheet shows it (`identity_shown`)."""
        identity = self._identities.get(row.ambassador_id)
        if identity is None:  # rows not prepared by `export_rows_prepare`: one query for this one
            self.identities_load([row.ambassador_id])
            identity = self._identities[row.ambassador_id]
        return identity

    def export_rows_prepare(self, rows):
        """Before a batch of rows is exported: their ambassadors' identities, in one query."""
        self.identities_load({row.ambassador_id for row in rows})

    def export_columns(self, **render):
        """One function per exported column, a batch of rows → their values: the resource's
        `column_of_<field>` method if it has one (a dehydrate method's values for a batch at once),
        else `export_field`'s choice between the field's dehydrate method and its widget, made
        once for the export rather than per row. The widgets' values depend on the current
        language and time zone: call it under the overrides the rows are rendered under."""
        columns = []
        for field in self.get_export_fields():
            name = self.get_field_name(field)
            column = getattr(self, f"column_of_{name}", None)
            if column is None:
                method = field.get_dehydrate_method(name)
                method = method if callable(method) else getattr(self, method, None)
                column = partial(_each, method) if method is not None else column_exporter(field, **render)
            columns.append(column)
        return columns

    def identity_column(self, rows, index):
        """`self.identity(row)[index]` of each row."""
        identities, identity = self._identities, self.identity
        return [(identities.get(row.ambassador_id) or identity(row))[index] for row in rows]

    def dehydrate_legal_name(self, row):
        return self.identity(row)[0]

    def column_of_legal_name(self, rows):
        return self.identity_column(rows, 0)

    def dehydrate_id_number(self, row):
        return self.identity(row)[1]

    def column_of_id_number(self, rows):
        return self.identity_column(rows, 1)


class PaidWithdrawalRow(NamedTuple):
    """What the payout sheet reads of a withdrawal."""

    pk: int
    ambassador_id: int
    amount: Decimal
    state: str
    requested_at: datetime
    finished_at: datetime
    alipay_order_id: str

    out_biz_no = Withdrawal.out_biz_no  # the model's own property: the id as Alipay knows it


class TaxRow(NamedTuple):
    """What the tax sheet reads of an assessment."""

    pk: int
    ambassador_id: int
    month: object  # a date
    net_income: Decimal
    gross_income: Decimal
    deduction: Decimal
    taxable_income: Decimal
    rate: Decimal
    quick_deduction: Decimal
    tax: Decimal


class PayoutSheetResource(ExportOnlyResource):
    """打款表: the withdrawals paid in a month (到账时间 in that Asia/Shanghai month), the same
    payments the month's tax is computed on (R11.2)."""

    month = fields.Field(column_name="月份")
    out_biz_no = fields.Field(attribute="out_biz_no", column_name="提现单号", widget=widgets.CharWidget())
    legal_name = fields.Field(column_name="姓名")
    id_number = fields.Field(column_name="身份证号")
    alipay_account = fields.Field(column_name="支付宝账号")  # always masked
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

    identity_fields = ("legal_name", "id_number", "alipay_account")
    row_type = PaidWithdrawalRow
    # In xlsx: each column's width (in characters; a Chinese character counts two), and the money
    # columns the totals row sums.
    column_widths = {
        "month": 9,
        "out_biz_no": 16,
        "legal_name": 10,
        "id_number": 21,
        "alipay_account": 18,
        "amount": 13,
        "state": 10,
        "requested_at": 20,
        "finished_at": 20,
        "alipay_order_id": 34,
    }
    total_fields = ("amount",)

    @staticmethod
    def latest_month():
        """The month of the latest payment, the month finance most likely wants (None: no payment yet)."""
        paid = Withdrawal.objects.filter(state=Withdrawal.State.SUCCEEDED).aggregate(last=Max("finished_at"))["last"]
        return month_of(paid.astimezone(SHANGHAI).date()) if paid else None

    def get_queryset(self):
        # Only the columns the sheet shows; the ambassador's identity comes from `identity`.
        return Withdrawal.objects.only(
            "ambassador", "amount", "state", "requested_at", "finished_at", "alipay_order_id"
        )

    def filter_export(self, queryset, *, month, **kwargs):
        start, end = month_bounds(month, SHANGHAI)
        return queryset.filter(state=Withdrawal.State.SUCCEEDED, finished_at__gte=start, finished_at__lt=end).order_by(
            "finished_at", "pk"
        )

    def identity_shown(self, ambassador):
        return (*super().identity_shown(ambassador), ambassador.masked_alipay_account)

    def dehydrate_alipay_account(self, withdrawal):
        return self.identity(withdrawal)[2]

    def column_of_alipay_account(self, withdrawals):
        return self.identity_column(withdrawals, 2)

    def dehydrate_month(self, withdrawal):
        paid = withdrawal.finished_at.astimezone(SHANGHAI)
        return f"{paid.year:04d}-{paid.month:02d}"

    def column_of_month(self, withdrawals):
        # The month of the hour of each payment's Shanghai time as 到账时间 shows it: a time zone
        # conversion an hour, not a row.
        if not hasattr(self, "_paid_clock"):
            self._paid_clock = HourlyClock.of(DATETIME_FORMAT, SHANGHAI)
        starts = self._paid_clock.hour_starts([withdrawal.finished_at for withdrawal in withdrawals])
        return [
            start[:7] if start else self.dehydrate_month(withdrawal)
            for withdrawal, start in zip(withdrawals, starts, strict=True)
        ]

    def dehydrate_state(self, withdrawal):
        return self._state_labels()[withdrawal.state]

    def column_of_state(self, withdrawals):
        labels = self._state_labels()
        return [labels[withdrawal.state] for withdrawal in withdrawals]

    def _state_labels(self):
        # The labels are lazy translations: resolved once per export, not once per row.
        if not hasattr(self, "_state_label_texts"):
            self._state_label_texts = {value: str(label) for value, label in Withdrawal.State.choices}
        return self._state_label_texts


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

    column_widths = {
        "month": 9,
        "legal_name": 10,
        "id_number": 21,
        "net_income": 13,
        "gross_income": 19,
        "deduction": 13,
        "taxable_income": 15,
        "rate": 7,
        "quick_deduction": 13,
        "tax": 13,
        "paid_by": 10,
    }
    total_fields = ("net_income", "gross_income", "deduction", "taxable_income", "tax")
    row_type = TaxRow
    # The rate is written as a percentage: a number formatted "0%" in xlsx, "20%" in csv.
    percent_fields = ("rate",)

    @staticmethod
    def latest_month():
        """The latest month with a tax record (None: none yet)."""
        return TaxAssessment.objects.aggregate(last=Max("month"))["last"]

    def get_queryset(self):
        return TaxAssessment.objects.only(
            "ambassador",
            "month",
            "net_income",
            "gross_income",
            "deduction",
            "taxable_income",
            "rate",
            "quick_deduction",
            "tax",
        )

    def filter_export(self, queryset, *, month, **kwargs):
        """Each ambassador's latest assessment of the month. Assessments only ever grow, one at a
        time under the ambassador's lock, so the highest id is the latest (as `tax_records_of`)."""
        month = month_of(month)
        latest = TaxAssessment.objects.filter(month=month).values("ambassador").annotate(last=Max("pk")).values("last")
        return queryset.filter(pk__in=latest).order_by("ambassador_id")

    def dehydrate_month(self, assessment):
        return assessment.month.strftime("%Y-%m")

    def dehydrate_paid_by(self, assessment):
        return TAX_PAID_BY
