"""Every Chinese message of the product has its English (issue 15, "English complete beside
it"): `makemessages -l en` is run on a copy of the source, and each message it finds that
is new or fuzzy in the catalogue it lands in must already be translated by one of the
catalogues the product loads (apps keep their own, so a template's message may be
translated in its app's catalogue). tests/test_foundation.py checks the entries a
catalogue has; this finds the messages no catalogue has."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_IGNORED = shutil.ignore_patterns(
    ".*", "var", "test-artifacts", "__pycache__", "*.mo", "*.pyc", "bench", "tests", "deploy"
)


def _entries(po: Path) -> list[dict]:
    """The catalogue's messages (msgctxt, msgid, msgid_plural, fuzzy, translated)."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"fuzzy": False}
        key = None
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                entry["fuzzy"] = True
            elif line.startswith("#"):
                continue
            elif match := re.match(
                r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line
            ):
                key = match.group(1)
                entry[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                entry[key] += ast.literal_eval(line)
        if entry.get("msgid"):
            strings = [value for name, value in entry.items() if name.startswith("msgstr")]
            entry["translated"] = not entry["fuzzy"] and all(strings) and bool(strings)
            found.append(entry)
    return found


def _english(entry: dict) -> bool:
    """Whether the running product answers the message in English. The msgid is looked up
    as makemessages wrote it: a template's literal % is doubled in {% translate %} and
    {% blocktranslate %} alike (django.template.base.Variable), so a catalogue entry
    with a single % is never found from a template."""
    msgid = entry["msgid"]
    if entry.get("msgid_plural"):
        answer = translation.ngettext(msgid, entry["msgid_plural"], 2)
    elif entry.get("msgctxt") is not None:
        answer = translation.pgettext(entry["msgctxt"], msgid)
    else:
        answer = translation.gettext(msgid)
    return answer != msgid  # an English text may quote a Chinese term (突破, a sheet name)


def test_no_chinese_message_of_the_product_lacks_its_english(tmp_path):
    if not shutil.which("xgettext"):
        if settings.REQUIRE_SERVICES:
            pytest.fail("gettext (xgettext) is not installed")
        pytest.skip("gettext (xgettext) is not installed")
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=_IGNORED)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    missing = []
    with translation.override("en"):
        for po in sorted(copy.glob("**/locale/en/LC_MESSAGES/django.po")):
            for entry in _entries(po):
                if entry["translated"] or not _CJK.search(entry["msgid"]):
                    continue
                if not _english(entry):
                    missing.append(f"{po.relative_to(copy)}: {entry['msgid']}")
    assert missing == [], "\n".join(missing)
