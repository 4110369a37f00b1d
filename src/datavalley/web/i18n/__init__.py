"""The portal's words in English and Simplified Chinese: one flat JSON file per language.

Keys are dotted (``search.results``); values are text with ``{name}`` placeholders filled by
:func:`translate`. Both files must hold the same keys (a test checks it, and every key the templates use).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Literal, get_args

Lang = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "en"
#: The name of each language in itself, for the switch.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "zh": "简体中文"}


@cache
def messages(lang: str) -> dict[str, str]:
    """All words of one language, keyed by message key."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language `{lang}`; use one of {', '.join(LANGUAGES)}")
    text = resources.files(__package__).joinpath(f"{lang}.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def translate(lang: str, key: str, **values: object) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` placeholders filled in.

    A missing key shows as the key itself (and fails the i18n test), never as an error page.

    >>> translate("zh", "nav.search")
    '搜索'
    >>> translate("en", "search.count", count=3)
    '3 datasets'
    """
    text = messages(lang).get(key) or messages(DEFAULT_LANG).get(key) or key
    return text.format(**values) if values else text


def negotiate(accept_language: str | None) -> Lang:
    """The best of our languages for an ``Accept-Language`` header (``zh-CN,zh;q=0.9,en;q=0.8``).

    >>> negotiate("zh-CN,zh;q=0.9,en;q=0.8")
    'zh'
    >>> negotiate("fr-FR, en;q=0.5")
    'en'
    >>> negotiate(None)
    'en'
    """
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (-quality, position, primary)
        if best is None or candidate < best:
            best = candidate  # type: ignore[assignment]
    return best[2] if best else DEFAULT_LANG
