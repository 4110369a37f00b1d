"""Every word of the portal exists in English and Simplified Chinese, and templates hold no bare text."""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser

import pytest
from jinja2 import nodes

from datavalley.catalog.vocabulary import (
    COLUMN_TAGS,
    DATASET_STATES,
    ORGANIZATION_KINDS,
    SHARING_CLASSES,
    THEMES,
    UPDATE_FREQUENCIES,
)
from datavalley.web import STATIC_DIR
from datavalley.web.i18n import LANGUAGES, messages, negotiate, translate
from datavalley.web.render import ENV, js_messages

TEMPLATE_NAMES = [n for n in ENV.list_templates() if n.endswith(".html")]
#: attributes whose values people read (or hear, with a screen reader)
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "label", "value"}
#: input types whose value people never see
UNSEEN_VALUES = {"radio", "checkbox", "hidden"}
WORD = re.compile(r"[A-Za-z\u3400-\u9fff]{2,}")


def _source(name: str) -> str:
    return ENV.loader.get_source(ENV, name)[0]  # type: ignore[union-attr]


def _keys_in(template: str) -> set[str]:
    """Literal keys given to ``t(...)``; a computed key (``"theme." ~ code``) gives its literal prefix."""
    tree = ENV.parse(_source(template))
    keys = set()
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "t" and call.args:
            arg = call.args[0]
            if isinstance(arg, nodes.Const):
                keys.add(arg.value)
            elif isinstance(arg, nodes.Concat) and isinstance(arg.nodes[0], nodes.Const):
                keys.add(arg.nodes[0].value + "*")
    return keys


def test_both_languages_have_the_same_keys_and_placeholders():
    english, chinese = messages("en"), messages("zh")
    assert set(english) == set(chinese), set(english) ^ set(chinese)
    fields = string.Formatter()
    for key, text in english.items():
        assert text.strip() and chinese[key].strip(), key
        names_en = {f for _, f, _, _ in fields.parse(text) if f}
        names_zh = {f for _, f, _, _ in fields.parse(chinese[key]) if f}
        assert names_en == names_zh, f"{key}: {names_en} vs {names_zh}"
    different = [k for k in english if english[k] != chinese[k]]
    assert len(different) > 0.9 * len(english), "most words differ between the two languages"


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_every_key_a_template_uses_exists(template):
    for lang in LANGUAGES:
        words = messages(lang)
        for key in _keys_in(template):
            if key.endswith("*"):
                assert any(k.startswith(key[:-1]) for k in words), f"{template}: no key starts {key[:-1]}"
            else:
                assert key in words, f"{template}: `{key}` missing in {lang}.json"


def test_every_vocabulary_word_is_translated():
    expected = [f"theme.{c}" for c in THEMES]
    expected += [f"sharing.{c}" for c in SHARING_CLASSES] + [f"sharing.{c}.help" for c in SHARING_CLASSES]
    expected += [f"state.{s}" for s in DATASET_STATES] + [f"frequency.{f}" for f in UPDATE_FREQUENCIES]
    expected += [f"org_kind.{k}" for k in ORGANIZATION_KINDS]
    expected += [f"column_tag.{c}" for c in COLUMN_TAGS] + [f"column_tag.{c}.help" for c in COLUMN_TAGS]
    expected += [f"public.{v}" for v in ("true", "false")]
    expected += [f"error.{s}.{p}" for s in (400, 401, 403, 404, 405, 500, 503) for p in ("title", "text")]
    for lang in LANGUAGES:
        missing = [k for k in expected if k not in messages(lang)]
        assert not missing, f"{lang}: {missing}"


class _Text(HTMLParser):
    """Collects the text people read from an HTML fragment: text nodes and readable attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        kind = dict(attrs).get("type") or ""
        for name, value in attrs:
            if name == "value" and (tag in ("button", "option") or kind in UNSEEN_VALUES):
                continue  # a value sent with the form, not shown
            if name in READ_ATTRIBUTES and value:
                self.found.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_templates_hold_no_untranslated_text(template):
    """Everything between the Jinja tags is markup only: no word outside ``t(...)``."""
    html = _source(template)
    html = re.sub(r"\{#.*?#\}", " ", html, flags=re.S)
    html = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", html, flags=re.S)  # expressions and statements
    parser = _Text()
    parser.feed(html)
    words = [w for text in parser.found for w in WORD.findall(text)]
    assert not words, f"{template} shows untranslated text: {words[:10]}"


@pytest.mark.parametrize("name", ["explorer.js", "sql.js", "dashboard.js"])
def test_the_scripts_only_use_keys_that_exist(name):
    script = (STATIC_DIR / "js" / name).read_text(encoding="utf-8")
    keys = set(re.findall(r"""\bT\(\s*["']([a-z_.0-9]+)["']""", script))
    assert keys, "the explorer takes its words from the messages"
    for lang in LANGUAGES:
        js_words = js_messages(lang)  # what the page hands the script
        for key in keys:
            if key.endswith("."):  # a computed key: "op." + op
                assert any(k.startswith(key) for k in js_words), f"{lang}: no `{key}*` for the script"
            else:
                assert key in js_words, f"{lang}: the script uses `{key}`, the page does not hand it over"
    # and the words it shows are not written into the script itself
    shown = re.findall(r"textContent\s*=\s*[\"']([^\"']*)[\"']", script)
    assert all(not WORD.search(text) for text in shown), shown


def test_translate_and_negotiate():
    assert translate("zh", "search.count", count=3) == "3 个数据集"
    assert translate("en", "no.such.key") == "no.such.key"  # shows the key, never an error page
    assert negotiate("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert negotiate("en-GB,zh;q=0.5") == "en"
    assert negotiate("zh;q=0, en;q=0.1") == "en"
    assert negotiate("fr, de;q=0.5") == "en"
    assert negotiate("zh-Hans-CN;q=bad, en;q=0.3") == "en"  # a broken weight counts as 0
    assert negotiate("") == "en"
