"""Finance's monthly payout and tax sheets (R11.2): the month's rows and no others, masked unless
the exporter may see identities (and then audited), formulae escaped, csv and xlsx streamed."""

import csv
import io
import tracemalloc
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ambassadors.tests.factories import BoundAmbassadorFactory, UserFactory
from payouts import exports, resources
from payouts.exports import payout_sheet_write, tax_sheet_write
from payouts.models import TaxAssessment, Withdrawal
from payouts.resources import PayoutSheetResource
from payouts.settlement import settlement_run
from payouts.tax_records import tax_assess
from payouts.withdrawals import withdrawal_request
from portal.kernel import personal_data
from portal.kernel.models import AuditEntry
from portal.kernel.spreadsheets import spreadsheet_safe
from portal.kernel.staff import FINANCE, staff_groups_sync

from .helpers import paid_order

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAYOUT_HEADERS = [
    "月份",
    "提现单号",
    "姓名",
    "身份证号",
    "支付宝账号",
    "金额",
    "状态",
    "申请时间",
    "到账时间",
    "支付宝单号",
]
TAX_HEADERS = [
    "月份", "姓名", "身份证号", "到手收入", "应税收入（含税）", "减除费用", "应纳税所得额", "税率", "速算扣除数",
    "个人所得税", "缴纳方",
]  # fmt: skip


def staff_in(group):
    staff_groups_sync()
    member = UserFactory(is_staff=True)
    member.groups.add(Group.objects.get(name=group))
    return member


def exporter_without_identities():
    """May export both sheets, may not see names and ID numbers in clear."""
    member = UserFactory(is_staff=True)
    member.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="payouts", codename__in=["export_withdrawal", "export_taxassessment"]
        )
    )
    return member


def paid_withdrawal(ambassador, amount, finished, *, order_id=None):
    """A withdrawal Alipay paid at `finished` (Shanghai) and its tax record: the rows the sheets
    read, made without the gateway so that the month is chosen by the test."""
    finished_at = datetime.fromisoformat(finished).replace(tzinfo=SHANGHAI)
    withdrawal = Withdrawal.objects.create(
        ambassador=ambassador,
        amount=Decimal(amount),
        request_token=uuid.uuid4(),
        state=Withdrawal.State.SUCCEEDED,
        submitted_at=finished_at,
        finished_at=finished_at,
        alipay_order_id=order_id or f"2026{uuid.uuid4().int % 10**16:016d}",
    )
    Withdrawal.objects.filter(pk=withdrawal.pk).update(requested_at=finished_at)
    withdrawal.refresh_from_db()
    tax_assess(withdrawal)
    return withdrawal


@pytest.fixture
def november(db):
    """Two payments to 张三 in November, one to 李四 on the last evening of November (Shanghai:
    already December in UTC terms, the other way round), one to 张三 in December."""
    zhang = BoundAmbassadorFactory(legal_name="张三")
    li = BoundAmbassadorFactory(legal_name="李四")
    first = paid_withdrawal(zhang, "3000.00", "2026-11-03 09:00")
    second = paid_withdrawal(zhang, "3000.00", "2026-11-20 15:30")
    late = paid_withdrawal(li, "500.00", "2026-11-30 23:30")
    december = paid_withdrawal(zhang, "100.00", "2026-12-01 00:10")
    return zhang, li, [first, second, late], december


def csv_rows(content: bytes):
    assert content.startswith("\ufeff".encode()), "UTF-8 with a BOM, so Excel reads Chinese"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def written(function, month, fmt, user):
    stream = io.BytesIO()
    count = function(month, fmt, user, stream)
    return count, stream.getvalue()


class Sink:
    """A binary stream that keeps nothing, as a file on disk would not in memory."""

    def __init__(self):
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return len(data)

    def flush(self):
        pass


def xlsx_rows(content: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_payout_sheet_lists_the_months_payments_masked(november):
    zhang, li, paid, december = november
    count, content = written(payout_sheet_write, date(2026, 11, 1), "csv", exporter_without_identities())
    rows = csv_rows(content)
    assert count == 3
    assert rows[0] == PAYOUT_HEADERS
    assert [row[1] for row in rows[1:]] == [w.out_biz_no for w in paid]  # December's is not there
    first = rows[1]
    assert first[0] == "2026-11"
    assert first[2:5] == [zhang.masked_legal_name, zhang.masked_id_number, zhang.masked_alipay_account]
    assert first[2] == "张*" and str(zhang.id_number) not in content.decode("utf-8-sig")
    assert first[5:9] == ["3000.00", "已到账", "2026-11-03 09:00:00", "2026-11-03 09:00:00"]
    assert first[9] == paid[0].alipay_order_id
    assert rows[3][8] == "2026-11-30 23:30:00"  # Asia/Shanghai, not UTC
    assert not AuditEntry.objects.filter(action="export.full_id_numbers").exists()


def test_finance_exports_full_identities_and_each_export_is_audited(november):
    zhang, li, paid, december = november
    finance = staff_in(FINANCE)
    count, content = written(payout_sheet_write, "2026-11", "csv", finance)
    rows = csv_rows(content)
    assert rows[1][2:4] == ["张三", str(zhang.id_number)]
    assert rows[1][4] == zhang.masked_alipay_account  # the Alipay account stays masked
    entry = AuditEntry.objects.get(action="export.full_id_numbers")
    assert (entry.actor, entry.after) == (finance, {"sheet": "payout", "month": "2026-11", "rows": 3})

    written(tax_sheet_write, "2026-11", "xlsx", finance)
    assert AuditEntry.objects.filter(action="export.full_id_numbers").count() == 2
    assert AuditEntry.objects.latest("at").after == {"sheet": "tax", "month": "2026-11", "rows": 2}


def test_the_payout_sheet_as_xlsx_has_numbers_and_shanghai_times(november):
    zhang, li, paid, december = november
    count, content = written(payout_sheet_write, date(2026, 12, 15), "xlsx", exporter_without_identities())
    rows = xlsx_rows(content)
    assert rows[0] == PAYOUT_HEADERS
    assert len(rows) == 3 and count == 1  # the header, the payment, the totals
    row = rows[1]
    assert row[:5] == ["2026-12", december.out_biz_no, "张*", zhang.masked_id_number, zhang.masked_alipay_account]
    assert row[5] == 100 and row[6] == "已到账"
    assert row[8] == datetime(2026, 12, 1, 0, 10)  # naive Shanghai time: Excel has no time zones


def test_the_tax_sheet_has_each_ambassadors_latest_assessment_of_the_month(november):
    zhang, li, paid, december = november
    count, content = written(tax_sheet_write, "2026-11", "csv", exporter_without_identities())
    rows = csv_rows(content)
    assert count == 2 and rows[0] == TAX_HEADERS
    by_name = {row[1]: row for row in rows[1:]}
    # R11.2: two payments of 3,000 in one month are taxed as one of 6,000.
    assert by_name["张*"] == [
        "2026-11", "张*", zhang.masked_id_number, "6000.00", "7142.86", "1428.57", "5714.29", "20%", "0.00",
        "1142.86", "平台代缴",
    ]  # fmt: skip
    assert by_name["李*"][3] == "500.00" and by_name["李*"][9] == "0.00"
    assert TaxAssessment.objects.filter(month=date(2026, 12, 1)).count() == 1  # and it is not in November's


def test_the_tax_sheet_as_xlsx_opens_with_numbers(november):
    count, content = written(tax_sheet_write, date(2026, 11, 1), "xlsx", staff_in(FINANCE))
    rows = xlsx_rows(content)
    assert rows[0] == TAX_HEADERS and count == 2
    zhang_row = next(row for row in rows[1:] if row[1] == "张三")
    assert zhang_row[3] == 6000 and zhang_row[9] == pytest.approx(1142.86) and zhang_row[10] == "平台代缴"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_cell_that_would_be_a_formula_is_written_as_text(fmt):
    """A finance export never lets a cell start with "=" (nor + - @)."""
    ambassador = BoundAmbassadorFactory(legal_name="=HYPERLINK(1)")
    paid_withdrawal(ambassador, "10.00", "2026-11-10 10:00", order_id="@SUM(1)")
    for user, name in [(staff_in(FINANCE), "'=HYPERLINK(1)"), (exporter_without_identities(), "'=************")]:
        count, content = written(payout_sheet_write, "2026-11", fmt, user)
        row = csv_rows(content)[1] if fmt == "csv" else xlsx_rows(content)[1]
        assert (row[2], row[9]) == (name, "'@SUM(1)")
    if fmt == "xlsx":
        cell = openpyxl.load_workbook(io.BytesIO(content)).active["C2"]
        assert cell.data_type == "s"


def test_a_month_without_payments_is_a_sheet_of_headers(november):
    count, content = written(payout_sheet_write, "2027-01", "xlsx", exporter_without_identities())
    assert count == 0 and xlsx_rows(content) == [PAYOUT_HEADERS]


def test_a_withdrawal_paid_through_alipay_is_in_this_months_sheet(
    bound_ambassador, current_rules, alipay_settings, django_capture_on_commit_callbacks
):
    """The whole way: earned, settled, withdrawn, paid by the fake gateway, exported."""
    paid_order(bound_ambassador, amount="4000.00", paid="2026-11-10 10:00")
    settlement_run(date(2026, 12, 10))
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = withdrawal_request(ambassador=bound_ambassador, amount="300.00", request_token=uuid.uuid4())
    withdrawal.refresh_from_db()
    month = withdrawal.finished_at.astimezone(SHANGHAI).date()
    rows = csv_rows(written(payout_sheet_write, month, "csv", exporter_without_identities())[1])
    assert [(row[1], row[5], row[9]) for row in rows[1:]] == [
        (withdrawal.out_biz_no, "300.00", withdrawal.alipay_order_id)
    ]
    tax_rows = csv_rows(written(tax_sheet_write, month, "csv", exporter_without_identities())[1])
    assert [row[3] for row in tax_rows[1:]] == ["300.00"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_memory_stays_flat_in_the_row_count(fmt, monkeypatch):
    """Rows are written as they are read: four times the rows, the same peak memory. The rows
    are read 50 at a time here (2,000 in production), so that a few thousand rows show it."""
    monkeypatch.setattr(PayoutSheetResource._meta, "chunk_size", 50)
    monkeypatch.setattr(exports, "ROWS_PER_BATCH", 50)
    ambassadors = [BoundAmbassadorFactory() for _ in range(5)]
    finished = datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI)
    user = exporter_without_identities()

    def peak_for(count):
        Withdrawal.objects.bulk_create(
            Withdrawal(
                ambassador=ambassadors[number % 5],
                amount=Decimal("10.00"),
                request_token=uuid.uuid4(),
                state=Withdrawal.State.SUCCEEDED,
                finished_at=finished,
            )
            for number in range(count - Withdrawal.objects.count())
        )
        tracemalloc.start()
        try:
            assert payout_sheet_write("2026-11", fmt, user, Sink()) == count
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak_for(300)  # the first export also fills caches (translations, time zones, code)
    small, large = peak_for(300), peak_for(1200)
    assert large < small * 1.2, (small, large)


@pytest.mark.parametrize("sheet", [payout_sheet_write, tax_sheet_write])
def test_each_ambassador_is_decrypted_once_per_export_in_a_few_queries(sheet, monkeypatch):
    """Rows of one ambassador repeat: their identity is read once per export, not once per row,
    and the number of queries does not grow with the rows."""
    user = staff_in(FINANCE)
    decrypted = []
    decrypt = personal_data.decrypt
    monkeypatch.setattr(personal_data, "decrypt", lambda token: decrypted.append(token) or decrypt(token))

    def export(month, ambassadors, payments_each):
        people = [BoundAmbassadorFactory() for _ in range(ambassadors)]
        for day in range(payments_each):
            for person in people:
                paid_withdrawal(person, "10.00", f"{month}-{day + 1:02d} 10:00")
        decrypted.clear()
        exporter = type(user).objects.get(pk=user.pk)  # its permissions not cached yet, as in a request
        with CaptureQueriesContext(connection) as queries:
            count = written(sheet, month, "csv", exporter)[0]
        return count, len(queries), len(decrypted)

    rows, queries, decryptions = export("2026-11", 2, 3)
    more_rows, same_queries, more_decryptions = export("2026-12", 6, 4)
    payout = sheet is payout_sheet_write
    assert (rows, more_rows) == ((6, 24) if payout else (2, 6))
    assert same_queries == queries
    shown = 3 if payout else 2  # name, ID number (and the Alipay account) of each ambassador, once
    assert (decryptions, more_decryptions) == (2 * shown, 6 * shown)


def test_an_export_keeps_a_bounded_number_of_identities_and_each_row_has_its_own(monkeypatch):
    """More ambassadors than the identities one export keeps: each row still shows its own."""
    monkeypatch.setattr(resources, "IDENTITY_CACHE_SIZE", 2)
    monkeypatch.setattr(exports, "ROWS_PER_BATCH", 2)
    names = ["赵一", "钱二", "孙三", "李四", "周五"]
    ambassadors = [BoundAmbassadorFactory(legal_name=name) for name in names]
    for number in range(15):
        paid_withdrawal(ambassadors[number * 2 % 5], "10.00", f"2026-11-{number + 1:02d} 10:00")
    rows = csv_rows(written(payout_sheet_write, "2026-11", "csv", staff_in(FINANCE))[1])[1:]
    assert [row[2] for row in rows] == [names[number * 2 % 5] for number in range(15)]
    assert [row[3] for row in rows] == [str(ambassadors[number * 2 % 5].id_number) for number in range(15)]
    resource = PayoutSheetResource(full_identity=True)
    resource.identities_load([ambassador.pk for ambassador in ambassadors[:2]])
    resource.identities_load([ambassador.pk for ambassador in ambassadors[2:4]])
    assert list(resource._identities) == [ambassadors[2].pk, ambassadors[3].pk]


# Times the sheets' clock works out an hour at a time, and those it must not: across Shanghai's
# midnight and month end, the last microsecond of a second, before 1970, before year 1000, in
# Shanghai's local mean time (+08:05:43, before 1901) and its summer time (1986–1991), in another
# time zone, and in UTC as a ZoneInfo (not the UTC database times come in).
TRICKY_TIMES = [
    datetime(2026, 11, 30, 15, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
    datetime(2026, 11, 30, 16, 0, 1, tzinfo=UTC),
    datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC),
    datetime(2026, 12, 31, 16, 0, 0, 1, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    datetime(1900, 6, 1, 12, 34, 56, tzinfo=UTC),
    datetime(1988, 4, 16, 17, 30, tzinfo=UTC),
    datetime(1988, 9, 10, 16, 30, tzinfo=UTC),
    datetime(999, 12, 31, 23, 0, tzinfo=UTC),
    datetime(2026, 11, 30, 23, 30, 5, tzinfo=SHANGHAI),
    datetime(2026, 11, 30, 15, 30, tzinfo=ZoneInfo("UTC")),
    datetime(999, 12, 31, 23, 0, tzinfo=SHANGHAI),
]
# A month of times in a few hours: the same hour again and again, each second of one.
MONTH_OF_TIMES = [datetime(2026, 7, 1, tzinfo=UTC) + timedelta(seconds=second * 7919) for second in range(400)] + [
    datetime(2026, 7, 3, 8, tzinfo=UTC) + timedelta(seconds=second) for second in range(3600)
]


@pytest.mark.parametrize("native", [False, True], ids=["csv", "xlsx"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Kolkata", "Europe/London"])
def test_each_column_is_rendered_as_import_export_renders_it(native, language, zone):
    """`column_exporter` is `field.export` of each row with its look-ups made once and UTC times
    worked out an hour at a time: the same values, for times in zones with half-hour offsets and
    summer time too."""
    render = {"force_native_type": True} if native else {}
    values = {
        Decimal: [
            Decimal("0"),
            Decimal("-0.00"),
            Decimal("3000.00"),
            Decimal("-12.50"),
            Decimal("1234567.891"),
            Decimal("3.14159265358979323846264338327950288"),
            Decimal("0.000001"),
            Decimal("1E-7"),
            Decimal("1E+3"),
            Decimal("9" * 150 + ".5"),
            Decimal("Infinity"),
            7,
            None,
        ],
        datetime: [*TRICKY_TIMES, *MONTH_OF_TIMES, None, ""],
        str: ["", "W000000000001", "=1", "支付宝", None, 12],
    }
    fields_seen = 0
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        for resource in (PayoutSheetResource(), resources.TaxSheetResource()):
            for field in resource.get_export_fields():
                if field.attribute is None:
                    continue  # a dehydrate method gives the value
                fields_seen += 1
                export = resources.column_exporter(field, **render)
                kind = {"DecimalWidget": Decimal, "DateTimeWidget": datetime}.get(type(field.widget).__name__, str)
                rows = [SimpleNamespace(**{field.attribute: value}) for value in values[kind]]
                for _ in range(2):  # and again, from what the first time kept
                    expected = [field.export(row, **render) for row in rows]
                    assert export(rows) == expected, field.column_name
                    assert [type(value) for value in export(rows)] == [type(value) for value in expected]
                naive = [SimpleNamespace(**{field.attribute: datetime(2026, 11, 1, 12, 0)})]
                if kind is datetime:
                    for exporter in (export, lambda rows, field=field: [field.export(row, **render) for row in rows]):
                        with pytest.raises(ValueError):
                            exporter(naive)
    assert fields_seen == 5 + 7


def test_the_clock_keeps_a_bounded_number_of_hours(monkeypatch):
    monkeypatch.setattr(resources.HourlyClock, "MAX_HOURS", 3)
    clock = resources.HourlyClock.of("%Y-%m-%d %H:%M:%S", SHANGHAI)
    texts = clock(MONTH_OF_TIMES)
    assert len(clock.hours) <= 3
    assert texts == [time.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") for time in MONTH_OF_TIMES]


@pytest.mark.parametrize("sheet", [PayoutSheetResource, resources.TaxSheetResource])
def test_each_column_method_gives_its_dehydrate_methods_values(sheet, november):
    """A resource's `column_of_<field>` is its `dehydrate_<field>` for a batch of rows at once."""
    resource = sheet(full_identity=True)
    queryset = resource.filter_export(resource.get_queryset(), month=date(2026, 11, 1))
    rows = list(resource.iter_queryset(queryset))
    if sheet is PayoutSheetResource:  # paid in December in Shanghai; and in a time zone of its own
        rows += [
            rows[-1]._replace(finished_at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC)),
            rows[0]._replace(finished_at=datetime(2026, 12, 1, 0, 10, tzinfo=SHANGHAI)),
            rows[0]._replace(finished_at=datetime(2026, 11, 30, 15, 59, 59, tzinfo=ZoneInfo("UTC"))),
        ]
    resource.export_rows_prepare(rows)
    methods = [name.removeprefix("column_of_") for name in dir(resource) if name.startswith("column_of_")]
    assert methods
    for name in methods:
        column = getattr(resource, f"column_of_{name}")(rows)
        assert column == [getattr(resource, f"dehydrate_{name}")(row) for row in rows], name
    if sheet is PayoutSheetResource:
        assert resource.column_of_month(rows[-3:]) == ["2026-12", "2026-12", "2026-11"]


def test_a_csv_column_is_escaped_as_each_value_would_be():
    """Columns of text with nothing to escape are left as they are, found in one search; any other
    column is escaped value by value, as spreadsheet_safe escapes each."""
    columns = [
        ["2026-11", "W000000000001", "张*", ""],
        ["a", "=1", "b"],
        ["+1", "x"],
        ["x", "-12.50", "-x"],
        ["@SUM(1)"],
        ["\tlead", "ok"],
        ["ok", "\rlead"],
        ["ok", "\nlead"],
        ["a\x00=b", "c"],
        ["=", ""],
        [Decimal("-1.5"), None, 7, "=x", "y"],
        [],
    ]
    for values in columns:
        assert exports._csv_safe(values) == [spreadsheet_safe(str(value)) for value in values], values


def test_every_row_of_an_xlsx_sheet_has_its_own_numbers_and_times(november):
    """Each column's styled cell is filled again for every row: no row shows another's values."""
    zhang, li, paid, december = november
    content = written(payout_sheet_write, "2026-11", "xlsx", exporter_without_identities())[1]
    rows = xlsx_rows(content)[1:-1]  # without the header and the totals
    assert [(row[1], row[5], row[7], row[8]) for row in rows] == [
        (
            withdrawal.out_biz_no,
            withdrawal.amount,
            withdrawal.requested_at.astimezone(SHANGHAI).replace(tzinfo=None),
            withdrawal.finished_at.astimezone(SHANGHAI).replace(tzinfo=None),
        )
        for withdrawal in paid
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert {sheet.cell(row, 6).number_format for row in (2, 3, 4)} == {"0.00"}
    assert {sheet.cell(row, 9).number_format for row in (2, 3, 4)} == {"yyyy-mm-dd hh:mm:ss"}


def test_the_xlsx_sheet_is_laid_out_to_be_read(november):
    """Columns sized, the header bold and frozen, a totals row summing the money columns (numbers,
    not formulae), the tax rate a percentage, every cell written in openpyxl's write-only mode."""
    finance = staff_in(FINANCE)
    book = openpyxl.load_workbook(io.BytesIO(written(tax_sheet_write, "2026-11", "xlsx", finance)[1]))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert [cell.font.b for cell in sheet[1]] == [True] * len(TAX_HEADERS)
    assert sheet.column_dimensions["C"].width == 21  # 身份证号: 18 digits fit
    assert sheet.column_dimensions["E"].width == 19  # 应税收入（含税）
    *rows, totals = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 2
    # 张三 (6,000 in two payments) and 李四 (500): the money columns summed, the rest left empty.
    assert totals == ["合计", None, None, 6500, 7642.86, 1928.57, 5714.29, None, None, 1142.86, None]
    assert [cell.font.b for cell in sheet[sheet.max_row] if cell.value is not None] == [True] * 6
    assert {sheet.cell(row, 8).number_format for row in (2, 3)} == {"0%"}
    assert [sheet.cell(row, 8).value for row in (2, 3)] == [0.2, 0.2]

    payouts = openpyxl.load_workbook(io.BytesIO(written(payout_sheet_write, "2026-11", "xlsx", finance)[1])).active
    assert payouts.freeze_panes == "A2"
    *_, totals = payouts.iter_rows(values_only=True)
    assert totals[0] == "合计" and totals[5] == 6500  # 3,000 + 3,000 + 500
    assert payouts.cell(payouts.max_row, 6).number_format == "0.00"


def test_the_csv_sheets_are_rows_only_with_the_rate_as_people_write_it(november):
    """csv is read by other programs: no totals row, and the rate reads 20%."""
    finance = staff_in(FINANCE)
    rows = csv_rows(written(tax_sheet_write, "2026-11", "csv", finance)[1])
    assert len(rows) == 3 and [row[7] for row in rows[1:]] == ["20%", "20%"]
    assert "合计" not in [row[0] for row in csv_rows(written(payout_sheet_write, "2026-11", "csv", finance)[1])]


def test_xlsx_rows_are_the_xml_openpyxl_writes_for_the_same_cells():
    """The data rows' XML is written by the portal, not by openpyxl's cell writer: the sheet and its
    styles come out byte for byte as openpyxl writes the same values (text escaped and inline,
    numbers, rates and times in their formats, illegal characters replaced, long text cut)."""
    rows = [
        ["2026-11", "W000000000001", "张三", "", Decimal("3000.00"), Decimal("0.2"), datetime(2026, 11, 3, 9, 0, 5)],
        [" padded ", "a&b<c>d", "=SUM(A1)", "#N/A", Decimal("-12.50"), Decimal("0.45"), datetime(1899, 12, 31)],
        ["bad\x01char", "x" * 40_000, None, "\tlead", Decimal("1E+3"), None, datetime(2026, 11, 30, 23, 59, 59)],
        [7, 1.5, True, "-12.50", Decimal("0"), Decimal("0.03"), None],
    ]

    def book_bytes(write_rows):
        book = openpyxl.Workbook(write_only=True)
        worksheet = book.create_sheet(title="sheet")
        worksheet.append(["header"] * 7)
        write_rows(worksheet)
        stream = io.BytesIO()
        book.save(stream)
        return stream.getvalue()

    def by_openpyxl(worksheet):
        """What the sheets wrote through openpyxl's own cells: one styled cell per column and kind."""
        styled = {}
        for values in rows:
            cells = []
            for column, value in enumerate(values):
                if isinstance(value, str):
                    value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", spreadsheet_safe(value))
                elif isinstance(value, (Decimal, datetime)):
                    cell = styled.get((column, type(value)))
                    if cell is None:
                        cell = styled[column, type(value)] = WriteOnlyCell(worksheet, value)
                        cell.number_format = {
                            Decimal: "0%" if column == 5 else "0.00",
                            datetime: "yyyy-mm-dd hh:mm:ss",
                        }[type(value)]
                    cell.value = value
                    value = cell
                cells.append(value)
            worksheet.append(cells)

    def by_the_portal(worksheet):
        exports._XlsxRows(worksheet, percent_columns=[5]).append(rows)

    def parts(content):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return {name: archive.read(name) for name in ("xl/worksheets/sheet1.xml", "xl/styles.xml")}

    theirs, ours = parts(book_bytes(by_openpyxl)), parts(book_bytes(by_the_portal))
    assert b"W000000000001" in ours["xl/worksheets/sheet1.xml"]
    assert ours == theirs
