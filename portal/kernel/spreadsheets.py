"""Cells that a spreadsheet will not run: the one escaping of every sheet the portal exports.

Excel, LibreOffice and Google Sheets read a cell that starts with = + - @ as a formula (and a tab
or a line break before one as the same), which can compute, fetch URLs or start programs (DDE)
when staff open an export that carries text someone else typed: a product name, a billing order
id, a legal name. OWASP's advice (CSV injection) is followed: such a cell gets a leading
apostrophe, which every spreadsheet shows as text and which keeps the value readable.

Numbers stay numbers: a value that is not text (a Decimal amount, a date) is left alone for the
writer, and text that is a plain decimal number ("-12.50", a refund rendered for csv) is inert and
left as it is. Full-width signs (＝, ＋) are not formula starts in any of these programs and are
left alone too.

Every export goes through here: the rebate-order csv (referrals.rebates.views), the payout and tax
sheets (payouts.exports) and every django-import-export export (`EXPORT_FORMATS` in settings).
"""

import re

import tablib
from import_export.formats import base_formats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def spreadsheet_safe(value):
    """`value`, or a text that would start a formula with an apostrophe before it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def dataset_safe(dataset: tablib.Dataset) -> tablib.Dataset:
    """A copy of a tablib Dataset with every cell, headers included, spreadsheet_safe."""
    headers = [spreadsheet_safe(header) for header in dataset.headers] if dataset.headers else None
    safe = tablib.Dataset(headers=headers, title=dataset.title)
    for row in dataset:
        safe.append([spreadsheet_safe(value) for value in row])
    return safe


class SafeCSV(base_formats.CSV):
    """django-import-export's csv, escaped here (its own escaping only drops a leading "=")."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset_safe(dataset), **kwargs)


class SafeXLSX(base_formats.XLSX):
    """django-import-export's xlsx, escaped here; numbers are written as numbers."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset_safe(dataset), **kwargs)
