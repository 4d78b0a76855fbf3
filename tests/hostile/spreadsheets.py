"""Hostile spreadsheets, built byte by byte (no spreadsheet library), so that each one is
exactly the file a probe sent: a few hundred bytes to a few KB each.

* `sparse_range(ref)`: a header row and one more cell at `ref` (XFD1048576 made calamine
  allocate a dense range of ~550 GB and abort the process; XFD2000 cost +1 GB of RSS).
* `sparse_dimension(ref)`: a small table whose `<dimension>` claims A1:`ref`.
* `doctype(...)`: a worksheet (or the shared strings) with a DTD: entity expansion
  ("billion laughs") or an external entity; defusedxml refuses them, and without it in the
  runtime requirements the stdlib ParseError became an HTTP 500.
* `wide_unlabelled(rows, columns)`: cells without an `r` attribute, so that only their
  count says how wide the sheet is (what the parse's memory limit stands behind).
"""

import zipfile
from io import BytesIO

HEADER = ("期间", "指标代码", "数值")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _write(archive: zipfile.ZipFile, name: str, text: str) -> None:
    """A member with a fixed timestamp, so that a rebuilt corpus is byte for byte the same."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = archive.compression
    archive.writestr(info, text)


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header_row() -> str:
    cells = "".join(_cell(f"{col}1", title) for col, title in zip("ABC", HEADER, strict=True))
    return f'<row r="1">{cells}</row>'


def _split(ref: str) -> tuple[str, int]:
    letters = ref.rstrip("0123456789")
    return letters, int(ref[len(letters) :])


def _package(sheet_xml: str, *, extra: dict[str, str] | None = None) -> bytes:
    buffer = BytesIO()
    # Stored, not deflated: the probe's file was 1.9 KB with nothing compressed, so the
    # zip-bomb ratio check has nothing to see.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        _write(archive, "[Content_Types].xml", _CONTENT_TYPES)
        _write(archive, "_rels/.rels", _ROOT_RELS)
        _write(archive, "xl/workbook.xml", _WORKBOOK)
        _write(archive, "xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        _write(archive, "xl/worksheets/sheet1.xml", sheet_xml)
        for name, text in (extra or {}).items():
            _write(archive, name, text)
    return buffer.getvalue()


def _sheet(rows: str, dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<worksheet {_NS}>{dim}<sheetData>{rows}</sheetData></worksheet>"
    )


def sparse_range(ref: str = "XFD1048576") -> bytes:
    """The header and one cell far away: nothing in between."""
    _, row = _split(ref)
    far = f'<row r="{row}">{_cell(ref, "1")}</row>'
    return _package(_sheet(_header_row() + far, dimension=f"A1:{ref}"))


def sparse_dimension(ref: str = "XFD1048576") -> bytes:
    """A two-row table (the header and one figure) whose dimension claims A1:ref."""
    row = '<row r="2">' + _cell("A2", "2026Q3") + _cell("B2", "coal_raw") + _cell("C2", "1")
    return _package(_sheet(_header_row() + row + "</row>", dimension=f"A1:{ref}"))


def valid(rows: int = 1) -> bytes:
    """A small well-formed table: the control case every hostile file is compared with."""
    body = "".join(
        f'<row r="{n}">'
        + _cell(f"A{n}", "2026Q3")
        + _cell(f"B{n}", "coal_raw")
        + f'<c r="C{n}"><v>{n}</v></c></row>'
        for n in range(2, rows + 2)
    )
    return _package(_sheet(_header_row() + body, dimension=f"A1:C{rows + 1}"))


BILLION_LAUGHS_DTD = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "' + f"&lol{n - 1 if n > 1 else ''};" * 10 + '">' for n in range(1, 10)
    )
    + "]>"
)
EXTERNAL_ENTITY_DTD = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def doctype(dtd: str = BILLION_LAUGHS_DTD, *, part: str = "sheet") -> bytes:
    """A DTD in the worksheet (`part="sheet"`) or in the workbook (`part="workbook"`)."""
    entity = "&lol9;" if "lol9" in dtd else "&xxe;"
    sheet = _sheet(_header_row() + f'<row r="2">{_cell("A2", entity)}</row>')
    if part == "sheet":
        sheet = sheet.replace("<worksheet", dtd + "<worksheet", 1)
        return _package(sheet)
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        _write(archive, "[Content_Types].xml", _CONTENT_TYPES)
        _write(archive, "_rels/.rels", _ROOT_RELS)
        _write(archive, "xl/workbook.xml", _WORKBOOK.replace("<workbook", dtd + "<workbook", 1))
        _write(archive, "xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        _write(archive, "xl/worksheets/sheet1.xml", _sheet(_header_row()))
    return buffer.getvalue()


def wide_unlabelled(rows: int, columns: int) -> bytes:
    """`rows` rows of `columns` cells each, none with an `r` attribute (deflated: the
    repetition compresses well, as a real attacker's file would)."""
    row = "<row>" + "<c><v>1</v></c>" * columns + "</row>"
    sheet = _sheet(_header_row() + row * rows)
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _write(archive, "[Content_Types].xml", _CONTENT_TYPES)
        _write(archive, "_rels/.rels", _ROOT_RELS)
        _write(archive, "xl/workbook.xml", _WORKBOOK)
        _write(archive, "xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        _write(archive, "xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def shared_string_amplification(cells: int = 6000, string_kb: int = 1024) -> bytes:
    """One shared string of `string_kb` KB named by `cells` cells inside the format's six
    columns: about a megabyte on disk, and a copy of the string for every cell once read
    (6 GB by default). The extent scan has nothing to refuse; the memory limit of the
    parse's child process is what stands between this file and the server."""
    import random

    rng = random.Random(14)
    filler = "".join(rng.choice("碳达峰园区能源统计") for _ in range(string_kb * 1024 // 3))
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<sst {_NS} count="1" uniqueCount="1"><si><t>{filler}</t></si></sst>'
    )
    rows = []
    for n in range(2, cells // 6 + 2):
        rows.append(
            f'<row r="{n}">'
            + "".join(f'<c r="{col}{n}" t="s"><v>0</v></c>' for col in "ABCDEF")
            + "</row>"
        )
    types = _CONTENT_TYPES.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = _WORKBOOK_RELS.replace(
        "</Relationships>",
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _write(archive, "[Content_Types].xml", types)
        _write(archive, "_rels/.rels", _ROOT_RELS)
        _write(archive, "xl/workbook.xml", _WORKBOOK)
        _write(archive, "xl/_rels/workbook.xml.rels", rels)
        _write(archive, "xl/worksheets/sheet1.xml", _sheet(_header_row() + "".join(rows)))
        _write(archive, "xl/sharedStrings.xml", shared)
    return buffer.getvalue()
