"""Finance's monthly sheets written as csv or xlsx, streamed so memory stays flat in the row count.

django-import-export's own export builds the whole tablib Dataset in memory before writing a byte;
a year of payouts would not fit. So the resources (payouts/resources.py) give the headers and each
row's values (`get_export_headers`, `export_resource`), rows are read with `queryset.iterator()`,
and each row is written as soon as it is read: csv to the caller's stream or a
StreamingHttpResponse (UTF-8 with a BOM, so Excel reads the Chinese), xlsx through openpyxl's
write-only workbook (rows go to a temporary file, strings inline, no shared-strings table) saved
into a temporary file that is streamed back. openpyxl makes the workbook, its styles, the columns,
the header and the totals; the data rows' XML is written here (`_XlsxRows`), as openpyxl writes it,
four times as fast as its cell-by-cell writer.

The xlsx sheet is made to be read: each column as wide as its content, the header row bold and
frozen, rates as percentages and, under the rows, a totals row summing the money columns (sums
worked out while the rows stream, written as numbers, not formulae). The csv sheet stays rows only,
for other programs to read; its rates read "20%".

Bypassing import-export's formats bypasses their escaping too, so every text cell is escaped here
with the portal's one function (`portal.kernel.spreadsheets.spreadsheet_safe`). Full names and ID
numbers are written only for holders of `payouts.export_full_id_numbers`, and such an export is
audited before its first row is written: a download cut off half way is on record too
(the design: that access is logged).

Outside a request (a benchmark, a command):
    with open("payouts.xlsx", "wb") as stream:
        rows = payout_sheet_write(date(2026, 11, 1), "xlsx", user, stream)
"""

import csv
import io
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from portal.kernel.audit import audit_record
from portal.kernel.money import round_yuan
from portal.kernel.months import month_of, month_parse
from portal.kernel.spreadsheets import FORMULA_STARTS, spreadsheet_safe

from .resources import SHANGHAI, PayoutSheetResource, TaxSheetResource

CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
PAYOUT, TAX = "payout", "tax"
SHEETS = {PAYOUT: PayoutSheetResource, TAX: TaxSheetResource}
FULL_IDENTITY_PERMISSION = "payouts.export_full_id_numbers"
ROWS_PER_BATCH = 500
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The sheets are written in the source language, whoever exports them (payouts/resources.py).
TOTALS_LABEL = "合计"
# A column's text joined into one, each value after a separator, and the start of a value in it
# that could start a formula (a separator inside a value only sends the column the slow way).
_CELL_SEPARATOR = "\x00"
_FORMULA_START = re.compile(_CELL_SEPARATOR + "[" + re.escape("".join(FORMULA_STARTS)) + "]")


class SheetEmpty(Exception):
    """The month has no rows: a file of headers alone would only look like an answer."""

    def __init__(self, kind, month):
        super().__init__(f"no rows for {month:%Y-%m}")
        self.kind, self.month = kind, month


@dataclass(frozen=True)
class Sheet:
    """One export about to be written: its resource (masked or not), its rows and their count."""

    kind: str
    month: date
    resource: object
    queryset: object
    rows: int

    @property
    def filename(self):
        return f"{self.kind}-{self.month:%Y-%m}"


def latest_month(kind):
    """The latest month the sheet has rows for, or None."""
    return SHEETS[kind].latest_month()


def sheet_open(kind, month, user, *, refuse_empty=False) -> Sheet:
    """Choose the month's rows and the masking the user may see; audit an export in clear.
    With `refuse_empty`, a month without rows raises SheetEmpty (and nothing is audited)."""
    if kind not in SHEETS:
        raise ValueError(f"unknown sheet {kind!r}: one of {', '.join(SHEETS)}")
    month = month_parse(month) if isinstance(month, str) else month_of(month)
    full_identity = user.has_perm(FULL_IDENTITY_PERMISSION)
    resource = SHEETS[kind](full_identity=full_identity)
    queryset = resource.filter_export(resource.get_queryset(), month=month)
    sheet = Sheet(kind=kind, month=month, resource=resource, queryset=queryset, rows=queryset.count())
    if refuse_empty and not sheet.rows:
        raise SheetEmpty(kind, month)
    if full_identity:  # the target is the exporter: audit_trail(user) lists what they took out
        audit_record(
            actor=user,
            action="export.full_id_numbers",
            target=user,
            after={"sheet": kind, "month": f"{month:%Y-%m}", "rows": sheet.rows},
        )
    return sheet


def _batches(sheet, **render):
    """The rows' values from the resource, a few hundred rows at a time, as one list per column:
    `export_resource`'s work, with its list of fields worked out once rather than per row, the
    batch's ambassadors read in one query, in the source language and Asia/Shanghai time. The
    overrides end before each yield, so a streamed response's generator never leaks them into
    the server between chunks."""
    resource = sheet.resource
    rows = resource.iter_queryset(sheet.queryset)
    with translation.override(settings.LANGUAGE_CODE), timezone.override(SHANGHAI):
        columns = resource.export_columns(**render)
    while True:
        with translation.override(settings.LANGUAGE_CODE), timezone.override(SHANGHAI):
            chunk = list(islice(rows, ROWS_PER_BATCH))
            if not chunk:
                return
            resource.export_rows_prepare(chunk)
            batch = [column(chunk) for column in columns]
        yield batch


def _headers(sheet):
    with translation.override(settings.LANGUAGE_CODE):
        return sheet.resource.get_export_headers()


def _columns(sheet, names):
    """The positions of the named fields among the sheet's columns."""
    resource = sheet.resource
    fields = [resource.get_field_name(field) for field in resource.get_export_fields()]
    return [fields.index(name) for name in names]


def _as_percent(text):
    """ "0.20" → "20%": a rate as people write it."""
    if text in ("", None):
        return ""
    number = format(Decimal(str(text)) * 100, "f")
    return (number.rstrip("0").rstrip(".") if "." in number else number) + "%"


def csv_chunks(sheet):
    """The sheet as UTF-8 csv with a BOM, one chunk of bytes per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(spreadsheet_safe(value) for value in _headers(sheet))
    percents = _columns(sheet, sheet.resource.percent_fields)
    for columns in _batches(sheet):
        for column in percents:
            columns[column] = [_as_percent(value) for value in columns[column]]
        writer.writerows(zip(*map(_csv_safe, columns), strict=True))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no rows: the header alone
        yield buffer.getvalue().encode()


def _csv_safe(values):
    """A column's values as csv text, each spreadsheet_safe: a column of text none of which could
    start a formula is as it is (looked for in one search of the column rather than per value)."""
    try:
        text = _CELL_SEPARATOR + _CELL_SEPARATOR.join(values)
    except TypeError:  # not all text
        pass
    else:
        if not _FORMULA_START.search(text):
            return values
    return [
        value if type(value) is str and not value.startswith(FORMULA_STARTS) else spreadsheet_safe(str(value))
        for value in values
    ]


def xlsx_write(sheet, stream):
    """The sheet as one xlsx worksheet: money as numbers with 2 places, rates as percentages,
    times as Shanghai times; columns sized, the header bold and frozen, and a totals row under
    the rows (none under a header alone)."""
    book = Workbook(write_only=True)
    worksheet = book.create_sheet(title=sheet.filename)
    resource = sheet.resource
    headers = _headers(sheet)
    # A write-only sheet writes its columns and panes before its first row: set them first.
    fields = [resource.get_field_name(field) for field in resource.get_export_fields()]
    for column, name in enumerate(fields, start=1):
        worksheet.column_dimensions[get_column_letter(column)].width = resource.column_widths.get(name, 12)
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = PatternFill("solid", start_color="FFF2F2F2")
    worksheet.append([_styled(worksheet, spreadsheet_safe(value), font=bold, fill=heading) for value in headers])

    rows_xml = _XlsxRows(worksheet, percent_columns=_columns(sheet, resource.percent_fields))
    summed = _columns(sheet, resource.total_fields)
    totals, rows = dict.fromkeys(summed, Decimal(0)), 0
    for columns in _batches(sheet, force_native_type=True):
        for column in summed:
            for value in columns[column]:
                totals[column] += value or 0
        rows_xml.append(zip(*columns, strict=True))
        rows += len(columns[0])
    if rows:
        row = [None] * len(headers)
        row[0] = _styled(worksheet, TOTALS_LABEL, font=bold)
        for column, total in totals.items():
            total = round_yuan(total)
            row[column] = _styled(worksheet, total, font=bold, number_format=_XlsxRows.NUMBER_FORMATS[Decimal])
        worksheet.append(row)
    book.save(stream)


def _styled(worksheet, value, **style):
    """One cell of the few written once per sheet (the header and the totals), with its style."""
    cell = WriteOnlyCell(worksheet, value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


class _RowValues(tuple):
    """A data row for `_XlsxRows` to write itself, passed through `worksheet.append`."""


class _XlsxRows:
    """The data rows written into the write-only worksheet as the XML openpyxl would write for
    them, text inline, money and rates and times as numbers with their cell's style.

    openpyxl writes every cell through ElementTree (et_xmlfile), three quarters of an export's
    time; a data row holds only text, numbers and times, whose XML is a few fixed strings. So the
    workbook, its styles, the columns, the frozen header and the totals stay openpyxl's, and only
    these rows are formatted here: `worksheet.append` takes a `_RowValues` and the worksheet's
    writer writes its XML as it is (a hook on this one worksheet, below). The file reads back
    with the same values and formats as openpyxl's own writing of the same rows (tested cell by
    cell, so an openpyxl that changes its writer fails the test rather than the sheet)."""

    NUMBER_FORMATS = {Decimal: "0.00", datetime: "yyyy-mm-dd hh:mm:ss"}
    PERCENT_FORMAT = "0%"

    def __init__(self, worksheet, *, percent_columns=()):
        self.worksheet = worksheet
        self.percent_columns = frozenset(percent_columns)
        self.epoch = worksheet.parent.epoch
        self.letters = []
        self.style_ids = {}  # (column, Decimal or datetime) → the style id of its number format
        self.hooked = False

    def append(self, batch):
        if not self.hooked:
            self._hook()
        append = self.worksheet.append
        for values in batch:
            append(_RowValues(values))

    def _hook(self):
        """Let the worksheet's writer take a `_RowValues` as its row's XML; anything else (the
        header, the totals) goes the usual way."""
        worksheet = self.worksheet
        worksheet._get_writer()
        values_to_row, write_row = worksheet._values_to_row, worksheet._writer.write_row

        def row_values(values, row_index):
            return values if type(values) is _RowValues else values_to_row(values, row_index)

        def row_write(xf, row, row_index):
            if type(row) is _RowValues:
                xf._file(self.xml(row, row_index))
            else:
                write_row(xf, row, row_index)

        worksheet._values_to_row, worksheet._writer.write_row = row_values, row_write
        self.hooked = True

    def xml(self, values, row_index):
        """`<row>` as openpyxl's write-only worksheet writes it (openpyxl.cell._writer)."""
        letters = self.letters
        while len(letters) < len(values):
            letters.append(get_column_letter(len(letters) + 1))
        number = str(row_index)
        parts = [f'<row r="{number}">']
        for column, value in enumerate(values):
            if value is None:
                continue
            reference = letters[column] + number
            kind = type(value)
            if kind is str:
                parts.append(self._text(reference, value))
            elif kind is Decimal or kind is datetime:
                style = self.style_ids.get((column, kind))
                if style is None:
                    style = self._style(column, kind, value)
                if kind is datetime:
                    if value.tzinfo is not None:
                        raise TypeError("Excel does not support timezones in datetimes")
                    value = to_excel(value, self.epoch)
                parts.append(f'<c r="{reference}" s="{style}" t="n"><v>{float(value):.16g}</v></c>')
            elif kind is bool:
                parts.append(f'<c r="{reference}" t="b"><v>{int(value)}</v></c>')
            elif kind is int or kind is float:
                parts.append(f'<c r="{reference}" t="n"><v>{float(value):.16g}</v></c>')
            else:
                raise TypeError(f"no xlsx cell for a {kind.__name__} in column {column + 1}")
        parts.append("</row>")
        return "".join(parts)

    @staticmethod
    def _text(reference, value):
        """Text escaped for spreadsheets and XML, inline, at most 32,767 characters."""
        value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", spreadsheet_safe(value))[:32767]
        if not value:
            return f'<c r="{reference}" t="inlineStr" />'
        if value in ERROR_CODES:
            return f'<c r="{reference}" t="e"><v>{value}</v></c>'
        if "&" in value:
            value = value.replace("&", "&amp;")
        if "<" in value:
            value = value.replace("<", "&lt;")
        if ">" in value:
            value = value.replace(">", "&gt;")
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f'<c r="{reference}" t="inlineStr"><is><t{space}>{value}</t></is></c>'

    def _style(self, column, kind, value):
        """The style of the column's money, rate or time cells, made once (openpyxl numbers it)."""
        cell = WriteOnlyCell(self.worksheet, value)
        percent = kind is Decimal and column in self.percent_columns
        cell.number_format = self.PERCENT_FORMAT if percent else self.NUMBER_FORMATS[kind]
        style = self.style_ids[column, kind] = cell.style_id
        return style


def sheet_write(kind, month, fmt, user, stream) -> int:
    """Write one month's sheet to a binary stream; returns its number of rows (as counted when
    the sheet was opened: the figure audited)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    sheet = sheet_open(kind, month, user)
    if fmt == CSV:
        for chunk in csv_chunks(sheet):
            stream.write(chunk)
    else:
        xlsx_write(sheet, stream)
    return sheet.rows


def payout_sheet_write(month, fmt, user, stream) -> int:
    """打款表 of `month` (a date or "YYYY-MM") as "csv" or "xlsx" into a binary stream."""
    return sheet_write(PAYOUT, month, fmt, user, stream)


def tax_sheet_write(month, fmt, user, stream) -> int:
    """个税表 of `month` (a date or "YYYY-MM") as "csv" or "xlsx" into a binary stream."""
    return sheet_write(TAX, month, fmt, user, stream)


def sheet_response(kind, month, fmt, user):
    """The sheet as a download: csv streamed row by row; xlsx built in a temporary file (a zip
    cannot be sent before it is finished), then streamed from it and deleted when closed.
    A month without rows raises SheetEmpty: a download of headers alone answers nothing."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    sheet = sheet_open(kind, month, user, refuse_empty=True)
    filename = f"{sheet.filename}.{fmt}"
    if fmt == CSV:
        response = StreamingHttpResponse(csv_chunks(sheet), content_type=CONTENT_TYPES[CSV])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    stream = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it, which deletes it)
    try:
        xlsx_write(sheet, stream)
        stream.seek(0)
    except BaseException:
        stream.close()
        raise
    return FileResponse(stream, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[XLSX])
