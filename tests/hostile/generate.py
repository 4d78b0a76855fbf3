"""Write the hostile corpus's files into tests/hostile/files/ (the committed copies are
what the tests read; run this to rebuild them after changing a builder):

    .venv/bin/python -m tests.hostile.generate

Large files (the shared-string amplification, a megabyte-sized workbook with 6 GB of
text behind it) are built by the tests themselves and not committed."""

import sys
from pathlib import Path

from tests.hostile import spreadsheets

FILES_DIR = Path(__file__).resolve().parent / "files"

# name -> (bytes, what a parser did with it before issue 14)
CORPUS = {
    "sparse_range_XFD1048576.xlsx": (
        spreadsheets.sparse_range("XFD1048576"),
        "calamine asked for ~550 GB and aborted the process (SIGABRT)",
    ),
    "sparse_range_XFD2000.xlsx": (
        spreadsheets.sparse_range("XFD2000"),
        "+1 GB of RSS for 6.7 s, 750 MB kept afterwards",
    ),
    "sparse_range_BM2.xlsx": (
        spreadsheets.sparse_range("BM2"),
        "one column past the format's 64: refused by the extent scan",
    ),
    "sparse_range_F200000.xlsx": (
        spreadsheets.sparse_range("F200000"),
        "200,000 rows of nothing: beyond the row limit",
    ),
    "sparse_dimension_XFD1048576.xlsx": (
        spreadsheets.sparse_dimension("XFD1048576"),
        "a two-row table whose <dimension> claims the whole sheet",
    ),
    "dtd_billion_laughs.xlsx": (
        spreadsheets.doctype(spreadsheets.BILLION_LAUGHS_DTD),
        "entity expansion in the worksheet: HTTP 500 without defusedxml",
    ),
    "dtd_external_entity.xlsx": (
        spreadsheets.doctype(spreadsheets.EXTERNAL_ENTITY_DTD),
        "an external entity naming /etc/passwd",
    ),
    "dtd_in_workbook.xlsx": (
        spreadsheets.doctype(spreadsheets.BILLION_LAUGHS_DTD, part="workbook"),
        "a DTD in xl/workbook.xml rather than the sheet",
    ),
}


def main() -> None:
    FILES_DIR.mkdir(exist_ok=True)
    for name, (content, _why) in CORPUS.items():
        (FILES_DIR / name).write_bytes(content)
        sys.stdout.write(f"{name}: {len(content)} bytes\n")


if __name__ == "__main__":
    main()
