"""Evidence attachments, good and hostile, built in memory (each a few hundred bytes), for
dezhou_carbon/files.py's checker and the progress-report upload."""

import io
import zipfile


def _zip(members: dict[str, bytes], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _content_types(main: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/content-types"><Override PartName="/x" ContentType="{main}"/></Types>'
    ).encode()


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
TEXT_GB18030 = "一季度工作进展：完成节能改造两项。\n".encode("gb18030")
DOCX = _zip({"[Content_Types].xml": _content_types(DOCX_TYPE), "word/document.xml": b"<w/>"})
XLSX = _zip({"[Content_Types].xml": _content_types(XLSX_TYPE), "xl/workbook.xml": b"<w/>"})
ODT = _zip(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<o/>"},
    method=zipfile.ZIP_STORED,
)
ZIP_OF_PDFS = _zip({"附件/现场照片说明.pdf": PDF, "附件/台账.xlsx": XLSX})
OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
LEGACY_DOC = OLE_HEADER + "WordDocument".encode("utf-16-le") + b"\x00" * 64

# hostile
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 57
SHELL_SCRIPT = b"#!/bin/sh\nrm -rf /\n"
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
DOCM = _zip({"[Content_Types].xml": _content_types(DOCM_TYPE), "word/document.xml": b"<w/>"})
XLSX_WITH_VBA = _zip(
    {
        "[Content_Types].xml": _content_types(XLSX_TYPE),
        "xl/workbook.xml": b"<w/>",
        "xl/vbaProject.bin": b"\x00" * 32,
    }
)
LEGACY_XLS_WITH_VBA = OLE_HEADER + "_VBA_PROJECT_CUR".encode("utf-16-le") + b"\x00" * 64
ODT_WITH_BASIC = _zip(
    {
        "mimetype": b"application/vnd.oasis.opendocument.text",
        "content.xml": b"<o/>",
        "Basic/Standard/Module1.xml": b"<script/>",
    },
    method=zipfile.ZIP_STORED,
)
ZIP_WITH_EXE = _zip({"说明.pdf": PDF, "setup.exe": EXE})
JAR = _zip({"META-INF/MANIFEST.MF": b"Main-Class: A\n", "A.class": b"\xca\xfe\xba\xbe"})
ZIP_BOMB = _zip({"zeros.txt": b"\x00" * (8 * 1024 * 1024)})  # ratio ~1000
