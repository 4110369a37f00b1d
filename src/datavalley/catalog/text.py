"""Text preparation for full-text search that works for Chinese as well as English.

Chinese (and Japanese, Korean) text has no spaces between words, so a run of CJK characters is indexed
as its single characters and its overlapping two-character pairs (the CJK-bigram approach of Lucene
and Elasticsearch); a query is split the same way, so "贫困" finds "贫困人口动态监测". Other words pass
through unchanged; the database's own stemmer (SQLite FTS5 ``porter``, PostgreSQL ``english``)
matches English word forms.

>>> index_text("贫困人口 monitoring")
'贫 困 人 口 贫困 困人 人口 monitoring'
>>> query_terms("贫困人口, Poverty!")
['贫困', '困人', '人口', 'poverty']
"""

from __future__ import annotations

import re

_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0002ffff"  # CJK extensions B-F
)
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W{_CJK}]+")
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_text(*parts: str | None) -> str:
    """The searchable form of some texts: CJK runs as characters and bigrams, the rest as words."""
    out: list[str] = []
    for part in parts:
        for token in _TOKEN.findall(part or ""):
            if _CJK_RUN.match(token):
                out.extend(token)
                out.extend(_bigrams(token))
            else:
                out.append(token.lower())
    return " ".join(out)


def query_terms(query: str) -> list[str]:
    """The terms a search must all match: CJK runs as bigrams (one character alone as itself)."""
    terms: list[str] = []
    for token in _TOKEN.findall(query):
        if _CJK_RUN.match(token):
            terms.extend(_bigrams(token) if len(token) > 1 else [token])
        else:
            terms.append(token.lower())
    return list(dict.fromkeys(terms))
