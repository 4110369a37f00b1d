"""SQL-friendly column names from any heading, Chinese included (as pinyin).

>>> column_names(["身份证号码", "Name", "Name", "2024年", "", "金额（元）"])
['shen_fen_zheng_hao_ma', 'name', 'name_2', 'c_2024_nian', 'column_5', 'jin_e_yuan']
"""

from __future__ import annotations

import re
import unicodedata

from datavalley.catalog.vocabulary import SLUG_MAX

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def to_identifier(label: str) -> str:
    """One heading as ``[a-z][a-z0-9_]*``; may be empty when nothing usable is left."""
    text = unicodedata.normalize("NFKC", label)
    words = text if text.isascii() else _pinyin(text)
    ascii_text = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()
    name = _NOT_WORD.sub("_", ascii_text.lower()).strip("_")
    if name and name[0].isdigit():
        name = f"c_{name}"
    return name[:SLUG_MAX].rstrip("_")


def _pinyin(text: str) -> str:
    """Chinese characters as pinyin words; pypinyin loads its dictionary (a quarter second) on first use."""
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text, errors="default"))


def column_names(labels: list[str]) -> list[str]:
    """Unique SQL-friendly names for the headings, in order."""
    out: list[str] = []
    taken: set[str] = set()
    for i, label in enumerate(labels, start=1):
        base = to_identifier(label) or f"column_{i}"
        name, n = base, 1
        while name in taken:
            n += 1
            suffix = f"_{n}"
            name = base[: SLUG_MAX - len(suffix)] + suffix
        taken.add(name)
        out.append(name)
    return out


def table_name_for(file_stem: str) -> str:
    """A table name from a file name: ``贫困人口-2024.csv`` → ``pin_kun_ren_kou_2024``."""
    return to_identifier(file_stem) or "data"
