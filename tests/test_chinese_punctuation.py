"""Full-width punctuation in Chinese text, fixed at the source (issue 15 #10): every Chinese
message of the product (the msgids of its .po catalogues) and every Chinese text of its
templates uses ，：；（） next to Chinese characters, never the ASCII ,:;() — the rule of
dezhou_carbon.display.chinese_punctuation, which pages also apply to people's own text.
Placeholders (%(name)s, {name}, {{ value }}) and HTML entities are not text."""

import json
import re
from pathlib import Path

from django.conf import settings

from dezhou_carbon.display import chinese_punctuation

ROOT = Path(settings.BASE_DIR)
# Not text: placeholders, template tags and variables, HTML entities, inline scripts.
_NOT_TEXT = re.compile(r"%\(\w+\)s|%%|\{\{.*?\}\}|\{%.*?%\}|\{\w*\}|&[a-z]+;|&#\d+;")
_COMMENT = re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|\{#.*?#\}")
_TRANSLATED = re.compile(r"\{%\s*(?:translate|trans)\s+(\"[^\"]*\"|'[^']*')")


def _masked(text: str) -> str:
    return _NOT_TEXT.sub("\ue000", text)


def _half_width(text: str) -> bool:
    masked = _masked(text)
    return chinese_punctuation(masked) != masked


def _catalogues() -> list[Path]:
    return sorted(
        path
        for path in ROOT.glob("**/locale/en/LC_MESSAGES/django.po")
        if not any(part.startswith(".") or part == "var" for part in path.relative_to(ROOT).parts)
    )


def _msgids(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [
        "".join(re.findall(r'"(.*)"', block))
        for block in re.findall(r'^msgid ((?:".*"\n)+)', text, flags=re.MULTILINE)
    ]


def test_every_chinese_message_has_full_width_punctuation():
    assert len(_catalogues()) >= 5
    found = [
        f"{path.relative_to(ROOT)}: {msgid}"
        for path in _catalogues()
        for msgid in _msgids(path)
        if _half_width(msgid)
    ]
    assert found == []


def test_every_chinese_template_text_has_full_width_punctuation():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert len(templates) > 50
    found = []
    for path in templates:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = _COMMENT.sub("", line)  # notes for developers, in English
            texts = [match.group(1)[1:-1] for match in _TRANSLATED.finditer(line)]
            texts.append(re.sub(r"<[^>]*>", "\ue000", line))  # the page's own text
            found.extend(
                f"{path.relative_to(ROOT)}:{number}: {text.strip()}"
                for text in texts
                if _half_width(text)
            )
    assert found == []


def test_the_scan_finds_half_width_marks_and_leaves_placeholders_alone():
    assert _half_width("用能预算(吨标准煤)")
    assert _half_width("部门:已提交")
    assert not _half_width("用能预算（吨标准煤）")
    assert not _half_width("已审核 %(done)s/%(total)s 个部门（%(period)s）")
    assert not _half_width("{code} 目标（{year}）")
    assert not _half_width("请求头 Authorization: Token &lt;密钥&gt;")


def test_the_shipped_plan_and_catalogue_have_full_width_punctuation():
    """The plan's texts, targets, items, indicators and coefficients' sources are shown on
    the pages as seeded (setup_park updates rows nobody edited when these change)."""
    found = []

    def walk(value, where: str, key: str = "") -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                walk(inner, f"{where}.{name}", name)
        elif isinstance(value, list):
            for number, inner in enumerate(value):
                walk(inner, f"{where}[{number}]", key)
        elif isinstance(value, str) and not key.endswith("_en") and _half_width(value):
            found.append(f"{where}: {value[:40]}")

    for name in ("plan.json", "indicators.json"):
        walk(json.loads((ROOT / "fixtures" / name).read_text(encoding="utf-8")), name)
    assert found == []


def test_labels_written_in_code_have_full_width_punctuation():
    """Chinese labels kept as Python data rather than messages (the certificate counters)."""
    from enterprises.work_rules import COUNTERS

    assert [c.zh for c in COUNTERS if chinese_punctuation(c.zh) != c.zh] == []
