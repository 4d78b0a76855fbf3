"""Evidence files (progress-report attachments, warning evidence, task evidence) checked by
what they contain, not by what they are called.

`evidence_file_check(uploaded_file)` reads the file once (the SHA-256 of every byte and the
first bytes for the signature) and answers its kind: a document, an image, a spreadsheet or
an archive. Executables, scripts, pages that run script (HTML, SVG) and macro-enabled Office
files are refused, and so is a file whose name promises one kind and whose bytes are
another (a `.pdf` that is a zip). Pure: no database, no settings; the caller stores the
digest beside the file so that an auditor can show the file has not changed since.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from dezhou_carbon.exceptions import ApplicationError

__all__ = ["KINDS", "EvidenceFile", "EvidenceFileRefused", "evidence_file_check"]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_HEAD_BYTES = 8192
_CHUNK = 1024 * 1024
# An archive is listed, never inflated: these bound what its directory may declare.
ARCHIVE_MAX_ENTRIES = 2000
ARCHIVE_MAX_UNCOMPRESSED = 500 * 1024 * 1024
ARCHIVE_MAX_RATIO = 100

KINDS = {
    "document": ("文档", "document"),
    "image": ("图片", "image"),
    "spreadsheet": ("电子表格", "spreadsheet"),
    "archive": ("压缩包", "archive"),
}

# The extensions each kind may carry (lower case, without the dot).
_EXTENSIONS = {
    "pdf": {"pdf"},
    "ofd": {"ofd"},  # GB/T 33190 electronic documents, common in Chinese government
    "rtf": {"rtf", "doc"},  # Word saves RTF under .doc too
    "text": {"txt", "csv", "md"},
    "png": {"png"},
    "jpeg": {"jpg", "jpeg", "jpe", "jfif"},
    "gif": {"gif"},
    "webp": {"webp"},
    "bmp": {"bmp"},
    "tiff": {"tif", "tiff"},
    "docx": {"docx", "dotx", "wps"},
    "xlsx": {"xlsx", "xltx", "et"},
    "pptx": {"pptx", "potx", "ppsx", "dps"},
    "odt": {"odt"},
    "ods": {"ods"},
    "odp": {"odp"},
    "ole": {"doc", "xls", "ppt", "wps", "et", "dps", "dot", "xlt", "pot", "pps"},
    "zip": {"zip"},
    "7z": {"7z"},
    "rar": {"rar"},
    "gzip": {"gz", "tgz"},
}
_FORMAT_KIND = {
    "pdf": "document",
    "ofd": "document",
    "rtf": "document",
    "text": "document",
    "docx": "document",
    "pptx": "document",
    "odt": "document",
    "odp": "document",
    "png": "image",
    "jpeg": "image",
    "gif": "image",
    "webp": "image",
    "bmp": "image",
    "tiff": "image",
    "xlsx": "spreadsheet",
    "ods": "spreadsheet",
    "zip": "archive",
    "7z": "archive",
    "rar": "archive",
    "gzip": "archive",
}

# Refused by name whatever the bytes say: programs, scripts, installers, shortcuts, pages
# that run script, and Office's macro-enabled formats.
_DANGEROUS_EXTENSIONS = {
    "exe", "dll", "com", "scr", "pif", "cpl", "sys", "drv", "ocx", "msi", "msp", "msc",
    "bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "lnk",
    "reg", "inf", "sh", "bash", "zsh", "csh", "py", "pyc", "pl", "rb", "php", "jsp", "asp",
    "aspx", "cgi", "jar", "class", "apk", "app", "dmg", "pkg", "deb", "rpm", "elf", "so",
    "dylib", "bin", "run", "html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "swf",
    "docm", "dotm", "xlsm", "xltm", "xlam", "xlsb", "pptm", "potm", "ppsm", "ppam", "sldm",
}  # fmt: skip
_MACRO_CONTENT_TYPES = (b"macroenabled", b"vbaproject", b"activex")
# Every VBA project in a compound file has a stream of this name (Word keeps it under
# "Macros/VBA", Excel under "_VBA_PROJECT_CUR/VBA"); names are UTF-16 in the directory.
_OLE_MACRO_MARKERS = ("_VBA_PROJECT".encode("utf-16-le"),)
_EXECUTABLE_MAGIC = (
    (b"MZ", "Windows 程序", "a Windows program"),
    (b"\x7fELF", "Linux 程序", "a Linux program"),
    (b"\xfe\xed\xfa\xce", "macOS 程序", "a macOS program"),
    (b"\xfe\xed\xfa\xcf", "macOS 程序", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "macOS 程序", "a macOS program"),
    (b"\xcf\xfa\xed\xfe", "macOS 程序", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "程序（Java 或 macOS）", "a program (Java or macOS)"),
    (b"#!", "脚本", "a script"),
    (b"dex\n", "安卓程序", "an Android program"),
    (b"\x00asm", "WebAssembly 程序", "a WebAssembly program"),
)


@dataclass(frozen=True)
class EvidenceFile:
    kind: str  # "document" | "image" | "spreadsheet" | "archive"
    format: str  # "pdf", "docx", "png", "zip", ... (what the bytes are)
    sha256: str  # hex digest of every byte
    size: int
    name: str  # the name as uploaded, without any directory


class EvidenceFileRefused(ApplicationError, ValidationError):
    """The file is refused; nothing was stored. An ApplicationError for services and the
    API (JSON with code, message_zh, message_en) and a ValidationError for forms."""

    def __init__(self, message_zh: str, message_en: str, *, code: str, details=None):
        super().__init__(message_zh, message_en, code=code, details=details)


def _refuse(code: str, zh: str, en: str, **details) -> EvidenceFileRefused:
    return EvidenceFileRefused(zh, en, code=code, details=details or None)


def _allowed_list() -> tuple[str, str]:
    zh = "允许的类型：文档（PDF、OFD、Word/WPS、文本）、图片（PNG、JPG、GIF、WebP）、电子表格（Excel/WPS、ODS）和压缩包（ZIP、7z、RAR）"
    en = (
        "allowed: documents (PDF, OFD, Word/WPS, text), images (PNG, JPG, GIF, WebP), "
        "spreadsheets (Excel/WPS, ODS) and archives (ZIP, 7z, RAR)"
    )
    return zh, en


def _base_name(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable()).strip()[:255]


def _extensions(name: str) -> list[str]:
    """Every dotted suffix, last first: `a.pdf.exe` -> ["exe", "pdf"]."""
    parts = name.lower().split(".")[1:]
    return [part.strip() for part in reversed(parts)]


def _ooxml_format(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    if "[content_types].xml" not in names:
        return None
    if any(name.rsplit("/", 1)[-1].startswith(("vbaproject", "vbadata")) for name in names):
        raise _refuse(
            "macro",
            "附件含有宏（VBA），出于安全原因不接受，请另存为不含宏的文件后上传。",
            "The attachment contains macros (VBA) and is refused for safety; save it "
            "without macros and upload it again.",
        )
    content_types = _read_bounded(archive, "[Content_Types].xml")
    if any(marker in content_types.lower() for marker in _MACRO_CONTENT_TYPES):
        raise _refuse(
            "macro",
            "附件是启用宏的 Office 文件，出于安全原因不接受，请另存为不含宏的文件后上传。",
            "The attachment is a macro-enabled Office file and is refused for safety; save "
            "it without macros and upload it again.",
        )
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    if any(name.startswith("ppt/") for name in names):
        return "pptx"
    return None


def _read_bounded(archive: zipfile.ZipFile, member: str, limit: int = 1024 * 1024) -> bytes:
    """One small member of an archive, at most `limit` bytes inflated."""
    real = next((i for i in archive.infolist() if i.filename.lower() == member.lower()), None)
    if real is None or real.file_size > limit:
        return b""
    with archive.open(real) as handle:
        return handle.read(limit)


def _odf_format(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    if "mimetype" not in names:
        return None
    mimetype = _read_bounded(archive, "mimetype", 200).strip()
    if any(name.startswith(("basic/", "scripts/")) for name in names):
        raise _refuse(
            "macro",
            "附件含有宏或脚本，出于安全原因不接受，请另存为不含宏的文件后上传。",
            "The attachment contains macros or scripts and is refused for safety; save it "
            "without macros and upload it again.",
        )
    return {
        b"application/vnd.oasis.opendocument.text": "odt",
        b"application/vnd.oasis.opendocument.spreadsheet": "ods",
        b"application/vnd.oasis.opendocument.presentation": "odp",
    }.get(mimetype)


def _zip_format(handle) -> str:
    """What a zip container is: an Office/ODF/OFD document, or a plain archive whose
    listing holds no program and no macro file. Nothing is inflated but a few small
    descriptors; sizes come from the archive's directory."""
    try:
        archive = zipfile.ZipFile(handle)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse(
            "corrupt",
            "附件是损坏的压缩文件，无法识别。",
            "The attachment is a damaged zip container and cannot be recognised.",
        ) from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if (
        len(infos) > ARCHIVE_MAX_ENTRIES
        or total > ARCHIVE_MAX_UNCOMPRESSED
        or total > ARCHIVE_MAX_RATIO * max(packed, 1)
    ):
        raise _refuse(
            "zip_bomb",
            "附件解压后过大或压缩比异常（疑似压缩炸弹），已拒绝。",
            "The attachment would expand to an unreasonable size (zip bomb check); refused.",
            entries=len(infos),
            uncompressed=total,
        )
    names = {i.filename.replace("\\", "/").lower() for i in infos}
    if "meta-inf/manifest.mf" in names and any(n.endswith(".class") for n in names):
        raise _refuse(
            "executable",
            "附件是 Java 程序（jar），不接受程序文件。",
            "The attachment is a Java program (jar); programs are not accepted.",
        )
    if "androidmanifest.xml" in names or "classes.dex" in names:
        raise _refuse(
            "executable",
            "附件是安卓程序（apk），不接受程序文件。",
            "The attachment is an Android program (apk); programs are not accepted.",
        )
    found = _ooxml_format(archive, names) or _odf_format(archive, names)
    if found:
        return found
    if "ofd.xml" in names:
        return "ofd"
    for name in names:
        base = name.rsplit("/", 1)[-1]
        if base.startswith(("vbaproject", "vbadata")) or (
            "." in base and base.rsplit(".", 1)[-1] in _DANGEROUS_EXTENSIONS - {"xml", "bin"}
        ):
            raise _refuse(
                "archive_executable",
                f"压缩包内含有程序、脚本或启用宏的文件（{base[:60]}），不接受。",
                f"The archive holds a program, script or macro-enabled file ({base[:60]}); "
                "refused.",
                member=base[:255],
            )
    return "zip"


def _ole_format(handle, size: int) -> str:
    """Legacy Office (.doc/.xls/.ppt, WPS .wps/.et/.dps): refused when its directory names
    a VBA project. The names are UTF-16 in the compound file's directory sectors, so the
    whole file is searched in chunks (with an overlap for a name across chunks)."""
    handle.seek(0)
    overlap = max(len(marker) for marker in _OLE_MACRO_MARKERS)
    tail = b""
    while chunk := handle.read(_CHUNK):
        window = tail + chunk
        if any(marker in window for marker in _OLE_MACRO_MARKERS):
            raise _refuse(
                "macro",
                "附件是含有宏（VBA）的 Office 文件，出于安全原因不接受，请另存为不含宏的文件后上传。",
                "The attachment is an Office file with macros (VBA) and is refused for safety; "
                "save it without macros and upload it again.",
            )
        tail = window[-overlap:]
    return "ole"


def _text_format(head: bytes) -> str | None:
    """Plain text (UTF-8 or GB18030) with no NUL and no markup that a browser would run."""
    if b"\x00" in head:
        return None
    sample = head[: _HEAD_BYTES - 4]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = sample.decode(encoding)
            break
        except UnicodeDecodeError:
            # A multi-byte character cut at the end of the sample is still text.
            try:
                text = sample[:-3].decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    else:
        return None
    lowered = text.lstrip().lower()
    if lowered.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script")) or any(
        tag in lowered for tag in ("<script", "<iframe", "<object", "javascript:")
    ):
        return None
    return "text"


def _sniff(head: bytes, handle, size: int) -> str:
    for magic, zh, en in _EXECUTABLE_MAGIC:
        if head.startswith(magic):
            raise _refuse(
                "executable",
                f"附件是{zh}，不接受程序和脚本文件。",
                f"The attachment is {en}; programs and scripts are not accepted.",
            )
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM") and len(head) > 14:
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith((b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")):
        return "rar"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_format(handle, size)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        handle.seek(0)
        return _zip_format(handle)
    text = _text_format(head)
    if text:
        return text
    zh, en = _allowed_list()
    raise _refuse(
        "unsupported_type",
        f"无法识别附件的文件类型；{zh}。",
        f"The attachment's file type is not recognised; {en}.",
    )


def evidence_file_check(uploaded_file, *, max_bytes: int = DEFAULT_MAX_BYTES) -> EvidenceFile:
    """Check an uploaded evidence file by its content and answer its kind and SHA-256.

    `uploaded_file` is a Django UploadedFile or any binary file object with a name; it is
    left at position 0 for whoever stores it. Raises EvidenceFileRefused (zh/en) for a file
    that is empty, too large, a program or script, macro-enabled, not one of the allowed
    kinds, or whose name does not match its content.
    """
    name = _base_name(getattr(uploaded_file, "name", "") or "")
    size = getattr(uploaded_file, "size", None)
    if size is None:
        uploaded_file.seek(0, 2)
        size = uploaded_file.tell()
    if size == 0:
        raise _refuse("empty", "附件是空文件。", "The attachment is empty.")
    if size > max_bytes:
        limit_mb = max_bytes / (1024 * 1024)
        shown = f"{limit_mb:.0f}" if limit_mb.is_integer() else f"{limit_mb:.1f}"
        raise _refuse(
            "too_large",
            f"附件不能超过 {shown} MB。",
            f"The attachment cannot exceed {shown} MB.",
            size=size,
            limit=max_bytes,
        )
    extensions = _extensions(name)
    dangerous = [ext for ext in extensions if ext in _DANGEROUS_EXTENSIONS]
    if dangerous:
        raise _refuse(
            "dangerous_name",
            f"不接受扩展名为 .{dangerous[0]} 的文件（程序、脚本、网页或启用宏的文件）。",
            f"Files named .{dangerous[0]} are not accepted (programs, scripts, web pages or "
            "macro-enabled files).",
            extension=dangerous[0],
        )

    digest = hashlib.sha256()
    uploaded_file.seek(0)
    head = b""
    while chunk := uploaded_file.read(_CHUNK):
        if len(head) < _HEAD_BYTES:
            head += chunk[: _HEAD_BYTES - len(head)]
        digest.update(chunk)
    try:
        detected = _sniff(head, uploaded_file, size)
    finally:
        uploaded_file.seek(0)

    extension = extensions[0] if extensions else ""
    if extension not in _EXTENSIONS[detected]:
        expected = "、".join(f".{e}" for e in sorted(_EXTENSIONS[detected]))
        raise _refuse(
            "name_mismatch",
            f"附件名“{name[:60]}”与其内容（{detected.upper()}）不符，请使用正确的扩展名（{expected}）。",
            f"The attachment's name '{name[:60]}' does not match its content "
            f"({detected.upper()}); use the right extension ({', '.join(sorted(_EXTENSIONS[detected]))}).",
            detected=detected,
        )
    kind = _FORMAT_KIND.get(detected)
    if kind is None:  # legacy Office: the extension says which
        kind = "spreadsheet" if extension in {"xls", "et", "xlt"} else "document"
    return EvidenceFile(kind=kind, format=detected, sha256=digest.hexdigest(), size=size, name=name)
