"""The English catalog: every Japanese msgid translated, the committed .mo in step with the .po, and the
language cookie switching the UI between Japanese (the default) and English."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def translations(self) -> list[str]:
        return list(self.msgstr_plural.values()) if self.msgid_plural is not None else [self.msgstr]


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(token: str) -> str:
    """A PO string literal ("...", C escapes) as text."""
    return ast.literal_eval(token)


def parse_po(text: str) -> list[Entry]:
    """A small PO reader: comments and flags, msgctxt, msgid, msgid_plural, msgstr and msgstr[n], strings
    continued over several lines. Obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal entry, target
        if entry is not None:
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is not None and target is not None:  # a comment after the strings starts a new entry
                finish()
            entry = entry or Entry(line=number)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, token = match.groups()
            if keyword in ("msgctxt", "msgid") and entry is not None and target is not None \
                    and target[0].startswith("msgstr"):
                finish()  # entries not separated by a blank line
            entry = entry or Entry(line=number)
            target = (keyword.split("[")[0], int(index) if index is not None else None)
            _append(entry, target, _unquote(token))
        elif line.startswith('"') and entry is not None and target is not None:
            _append(entry, target, _unquote(line))
        else:
            raise ValueError(f"{PO_PATH.name}:{number}: cannot read {raw!r}")
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int | None], text: str) -> None:
    keyword, index = target
    if keyword == "msgstr" and index is not None:
        entry.msgstr_plural[index] = entry.msgstr_plural.get(index, "") + text
    elif keyword == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    elif keyword == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + text
    else:
        setattr(entry, keyword, getattr(entry, keyword) + text)


@pytest.fixture(scope="module")
def catalog() -> list[Entry]:
    entries = [e for e in parse_po(PO_PATH.read_text(encoding="utf-8")) if not e.is_header]
    assert entries, f"{PO_PATH} has no messages"
    return entries


def _where(entry: Entry) -> str:
    return f"{PO_PATH.name}:{entry.line} {entry.msgid!r}"


# --------------------------------------------------------------------------- the parser itself


def test_parse_po_reads_multiline_plural_context_and_flags():
    entries = parse_po(
        '#, fuzzy\nmsgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid ""\n"案件「%(name)s」を"\n"保存しました。"\n'
        'msgstr "Saved \\"%(name)s\\"."\n\n'
        'msgctxt "role"\nmsgid "メンバー"\nmsgstr "Member"\n\n'
        'msgid "%(n)s 件"\nmsgid_plural "%(n)s 件"\nmsgstr[0] "%(n)s item"\nmsgstr[1] "%(n)s items"\n\n'
        '#~ msgid "古い"\n#~ msgstr "Old"\n'
    )

    header, saved, member, plural = entries
    assert header.is_header and "fuzzy" in header.flags and header.msgstr == "Language: en\n"
    assert saved.msgid == "案件「%(name)s」を保存しました。"
    assert saved.msgstr == 'Saved "%(name)s".' and saved.flags == {"python-format"}
    assert (member.msgctxt, member.msgid, member.msgstr) == ("role", "メンバー", "Member")
    assert plural.msgid_plural == "%(n)s 件" and plural.msgstr_plural == {0: "%(n)s item", 1: "%(n)s items"}
    assert len(entries) == 4


# --------------------------------------------------------------------------- the catalog


def test_english_catalog_has_no_untranslated_or_fuzzy_entries(catalog):
    fuzzy = [_where(e) for e in catalog if "fuzzy" in e.flags]
    untranslated = [_where(e) for e in catalog if not all(s.strip() for s in e.translations)]
    incomplete_plurals = [_where(e) for e in catalog
                          if e.msgid_plural is not None and sorted(e.msgstr_plural) != [0, 1]]

    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not untranslated, f"untranslated entries: {untranslated}"
    assert not incomplete_plurals, f"plural entries without msgstr[0] and msgstr[1]: {incomplete_plurals}"


def test_english_catalog_header_is_not_fuzzy_and_is_utf8():
    header = next(e for e in parse_po(PO_PATH.read_text(encoding="utf-8")) if e.is_header)

    assert "fuzzy" not in header.flags
    assert "charset=UTF-8" in header.msgstr
    assert "Language: en\n" in header.msgstr


def test_translations_keep_every_placeholder(catalog):
    wrong = []
    for entry in catalog:
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in entry.translations:
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append(f"{_where(entry)} -> {text!r}")
    assert not wrong, f"placeholders changed: {wrong}"


def test_translations_are_english(catalog):
    japanese = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60「」、。]")
    left = [f"{_where(e)} -> {text!r}" for e in catalog for text in e.translations if japanese.search(text)]
    assert not left, f"Japanese left in msgstr: {left}"


def test_compiled_mo_matches_the_po(catalog):
    """Django reads the committed .mo, so every .po translation must come back through gettext."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run manage.py compilemessages -l en"
    stale = []
    with translation.override("en"):
        for entry in catalog:
            if entry.msgid_plural is not None:
                got = [translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                       if entry.msgctxt else translation.ngettext(entry.msgid, entry.msgid_plural, n)
                       for n in (1, 2)]
                want = [entry.msgstr_plural[0], entry.msgstr_plural[1]]
            else:
                got = (translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt
                       else translation.gettext(entry.msgid))
                want = entry.msgstr
            if got != want:
                stale.append(f"{_where(entry)}: .mo gives {got!r}, .po says {want!r}")
    assert not stale, "the .mo is out of date (run manage.py compilemessages -l en):\n" + "\n".join(stale)


# --------------------------------------------------------------------------- the UI


def test_language_cookie_en_shows_the_english_ui(world_a):
    client = world_a.client("member")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("deals:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    for label in ("Deals", "Invoices", "Payment requests", "Log out", "Add deal"):
        assert label in html, f"{label!r} missing from the English page"
    for japanese in ("案件一覧", "案件を追加", "請求書", "支払依頼", "ログアウト"):
        assert japanese not in html, f"{japanese!r} left on the English page"


def test_without_cookie_the_ui_is_japanese(world_a):
    response = world_a.client("member").get(reverse("deals:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "案件一覧" in html
    assert "請求書" in html
    assert "Payment requests" not in html


def test_an_english_browser_still_gets_japanese_until_its_user_chooses(world_a):
    client = world_a.client("member")

    page = client.get(reverse("deals:list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    login = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="ja">' in page.content.decode() and "案件一覧" in page.content.decode()
    assert '<html lang="ja">' in login.content.decode() and "ログイン" in login.content.decode()


def test_choosing_english_with_the_switch_gives_english_whatever_the_browser_says(world_a):
    client = world_a.client("member")

    chosen = client.post(reverse("set_language"), {"language": "en", "next": reverse("deals:list")},
                         HTTP_ACCEPT_LANGUAGE="ja")
    page = client.get(chosen["Location"], HTTP_ACCEPT_LANGUAGE="ja")

    assert chosen.status_code == 302 and chosen.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = page.content.decode()
    assert '<html lang="en">' in html and "Add deal" in html and "案件一覧" not in html

    client.post(reverse("set_language"), {"language": "ja", "next": reverse("deals:list")})
    assert "案件一覧" in client.get(reverse("deals:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
