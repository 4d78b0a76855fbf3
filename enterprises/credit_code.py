"""Unified social credit code (统一社会信用代码), GB 32100-2015. Pure: no Django.

18 characters from ``0-9A-HJ-NPQRTUWXY`` (I, O, S, V and Z are never used). Character 18
is a check character: with v(c) the character's index in that alphabet and weights
w_i = 3^(i-1) mod 31 for positions i = 1..17, check = 31 - (Σ v(c_i)·w_i mod 31), where
31 maps to ``0`` (management.md §1)."""

from __future__ import annotations

import re
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, …, 28
_SPACES = re.compile(r"[\s\ufeff\u200b]+")


def check_char(first17: str) -> str:
    """The check character of a code's first 17 characters (all from the alphabet)."""
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def complete(first17: str) -> str:
    """`first17` followed by its check character: a valid code (demo, test and bench data)."""
    return first17 + check_char(first17)


def normalize(text: str) -> str:
    """Full-width letters and digits made ASCII, spaces removed, upper case."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text or "")).upper()


def validate(text: str) -> tuple[str, str, str]:
    """``(code, "", "")`` for a valid code (normalised), else ``("", reason_zh, reason_en)``."""
    code = normalize(text)
    if len(code) != 18:
        return (
            "",
            f"应为 18 位，实际 {len(code)} 位",
            f"must have 18 characters, not {len(code)}",
        )
    bad = sorted({c for c in code if c not in VALUE})
    if bad:
        shown = "".join(bad)[:10]
        return (
            "",
            f"含有不允许的字符“{shown}”（不使用 I、O、S、V、Z）",
            f"contains characters not allowed: '{shown}' (I, O, S, V, Z are never used)",
        )
    expected = check_char(code[:17])
    if expected != code[17]:
        return (
            "",
            "校验码不正确，请核对",
            "the check character is wrong; please check the code",
        )
    return code, "", ""


def is_valid(text: str) -> bool:
    return bool(validate(text)[0])
