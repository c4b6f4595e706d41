"""Tables as files people open in a spreadsheet program: CSV with a byte-order mark, and Excel workbooks."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Sequence


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as CSV, UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence[Any]], *, title: str, widths: Sequence[float], hours_column: int) -> bytes:
    """Rows (the first is the header) as one Excel sheet; figures stay numbers, and the 1-based
    `hours_column` shows two decimals."""
    from openpyxl import Workbook  # loaded on the first download, not at start-up
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for n, row in enumerate(rows, start=1):
        sheet.append(list(row))
        if n > 1:
            sheet.cell(row=n, column=hours_column).number_format = "0.00"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
