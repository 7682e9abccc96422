"""Audit events as Chinese sentences: who (name and unit) did what (the action in words) to which
item (its kind and name, a link where the reader may open it), and what changed ("字段：前 → 后",
with the item's field names and choice labels, long text cut with the full text kept to unfold).

This app sits low: it names the other apps' models through the app registry (django.apps) and
their pages through URL names, never by importing them. The words themselves are in words.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from .models import ACTION_LABELS, AuditEvent
from .words import FAMILIES, ITEM_URLS, KEY_LABELS, NOUN_FIELD, SENTENCES, SENTENCES_ON, TYPE_NOUNS, VALUE_WORDS

SHORT = 60  # characters of a value shown before 展开
LABEL = 36  # characters of an item's name in a sentence
ACTOR_UNIT_SECONDS = 60
CJK = re.compile(r"[\u4e00-\u9fff]")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# Values that are codes for the keys below (a status, a verdict…) are said in words.
CODED_KEYS = {"status", "verdict", "kind", "level", "role", "reason", "satisfaction", "comparator", "lead"}

Links = Literal["pages", "log", "none"]


@dataclass(frozen=True)
class Text:
    """A value in words: `short` on the line, `full` when the reader unfolds it (展开)."""

    short: str
    full: str

    @property
    def cut(self) -> bool:
        return self.short != self.full


@dataclass(frozen=True)
class Change:
    label: str
    before: Text | None  # None: the value was set, nothing before it
    after: Text | None  # None: the value was removed


@dataclass
class Described:
    event: AuditEvent
    who: str
    unit: str
    sentence: SafeString
    kind: str  # what kind of item, in words
    changes: list[Change] = field(default_factory=list)
    note: Text | None = None

    @property
    def at(self) -> dt.datetime:
        return self.event.at


def text(value: str, limit: int = SHORT) -> Text:
    value = " ".join(value.split()) if len(value) > limit else value
    return Text(value if len(value) <= limit else value[: limit - 1] + "…", value)


def action_words(action: str) -> str:
    """The action alone, as the filters list it (a noun phrase, never the code)."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    sentence = SENTENCES.get(action)
    if sentence:
        return sentence.replace("{item}", "").replace("了", "") or "操作"
    return "其他操作"


def family_words(action: str) -> str:
    return FAMILIES.get(action.split(".", 1)[0], "其他")


def type_model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def type_words(object_type: str) -> str:
    """What an item of this kind is called: the model's Chinese name, or a word from TYPE_NOUNS."""
    if object_type in TYPE_NOUNS:
        return TYPE_NOUNS[object_type]
    model = type_model(object_type)
    name = str(model._meta.verbose_name) if model is not None else ""
    return name if CJK.search(name) else "其他对象"


def key_words(key: str, model: type[models.Model] | None) -> str | None:
    """A recorded value's name: the model field's verbose name, else KEY_LABELS; None if unknown."""
    if key in KEY_LABELS:
        return KEY_LABELS[key]
    if model is not None:
        try:
            name = str(model._meta.get_field(key).verbose_name)  # type: ignore[union-attr]
        except FieldDoesNotExist:
            name = ""
        if CJK.search(name):
            return name
    return None


def value_words(value: Any, *, key: str = "", model: type[models.Model] | None = None) -> str:
    """A recorded value in words: choices by label, lists joined with 、, never a Python repr."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if key == "size":
            return f"{value / 1024:.1f} KB" if value >= 1024 else f"{value} 字节"
        return f"{value}%" if key == "percent" else f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return _string_words(value, key=key, model=model)
    if isinstance(value, list | tuple):
        if not value:
            return "（无）"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value) and key in {"measures", "problems"}:
            return f"{len(value)} 项"
        if any(isinstance(v, dict | list) for v in value):
            return f"{len(value)} 项"
        return "、".join(value_words(v, key=key, model=model) for v in value)
    if isinstance(value, dict):
        parts = [f"{key_words(k, model) or '其他'}：{value_words(v, key=k, model=model)}" for k, v in value.items()]
        return "；".join(parts) or "（无）"
    return str(value)


def _string_words(value: str, *, key: str, model: type[models.Model] | None) -> str:
    if model is not None and key:
        try:
            choices = dict(model._meta.get_field(key).flatchoices)  # type: ignore[union-attr]
        except (FieldDoesNotExist, AttributeError):
            choices = {}
        if value in choices:
            return str(choices[value])
    if key in CODED_KEYS and value in VALUE_WORDS:
        return VALUE_WORDS[value]
    if key == "sha256":
        return value[:12] + "…"
    if ISO_DATETIME.match(value):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return f"{moment:%Y-%m-%d %H:%M}"
    return value


def changes(event: AuditEvent) -> list[Change]:
    """Before → after, by field; values only set show as "字段：值"."""
    model = type_model(event.object_type)
    before, after = _as_dict(event.before), _as_dict(event.after)
    keys = list(dict.fromkeys([*after, *before]))
    out: list[Change] = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if event.before is not None and key in before and key in after and old == new:
            continue
        label = key_words(key, model) or "其他信息"
        old_text = text(value_words(old, key=key, model=model)) if key in before else None
        new_text = text(value_words(new, key=key, model=model)) if key in after else None
        out.append(Change(label, old_text, new_text))
    return out


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"": value}


def sentence_for(action: str, object_type: str) -> str:
    found = SENTENCES_ON.get((action, object_type)) or SENTENCES.get(action)
    if found:
        return found
    label = ACTION_LABELS.get(action)
    return f"{label}：{{item}}" if label else "对{item}进行了操作"


def describe_events(
    events: Iterable[AuditEvent], *, current: models.Model | None = None, links: Links = "pages"
) -> list[Described]:
    """Each event as a sentence. `current` is the item whose page shows the timeline (said as
    本问题, 本进展报告…); `links` "pages" links items to their pages, "log" to the audit log
    filtered to the item (for the audit admin, who opens no business page)."""
    events = list(events)
    units = _actor_units(events)
    nouns = _kind_nouns(events)
    people = _user_names(events)
    here = (current._meta.label_lower, str(current.pk)) if current is not None else None
    out = []
    for e in events:
        noun = nouns.get((e.object_type, e.object_id)) or type_words(e.object_type)
        if (e.object_type, e.object_id) == here:
            item = conditional_escape(f"本{noun}")
        else:
            item = _item(e, noun, people.get(e.object_id) if e.object_type == "auth.user" else None, links)
        parts = sentence_for(e.action, e.object_type).split("{item}")
        sentence = mark_safe(item.join(conditional_escape(p) for p in parts))  # noqa: S308 - parts escaped
        unit = units.get(e.actor_id or 0, "")
        who = e.actor_label or "系统"
        out.append(
            Described(
                event=e,
                who=who,
                unit="" if unit and unit in who else unit,
                sentence=sentence,
                kind=noun,
                changes=changes(e),
                note=text(e.note, 80) if e.note and _note_shown(e, links) else None,
            )
        )
    return out


def _note_shown(e: AuditEvent, links: Links) -> bool:
    """A visit's note is its title, a 留痕 note: only the audit log repeats it."""
    return links == "log" or (e.object_type not in UNTITLED_ON_PAGES and not e.action.startswith("visit."))


# Items whose title a timeline does not repeat (the audit log, for the auditor, does).
UNTITLED_ON_PAGES = {"supervision.sitevisit"}


def _item(e: AuditEvent, noun: str, person: str | None, links: Links) -> SafeString:
    name = person or e.object_repr or f"{e.object_id} 号"
    if links != "log" and e.object_type in UNTITLED_ON_PAGES:
        # A visit's title is its 留痕 note (places, people): business pages name it by date only.
        name = e.object_repr[:10] if e.object_repr[:4].isdigit() else ""
    if name.startswith(noun):
        name = name[len(noun) :].lstrip("：: ")
    if e.object_type == "auth.user" and e.actor_id is not None and e.object_id == str(e.actor_id):
        name, noun = "本人", ""
    short = name if len(name) <= LABEL else name[: LABEL - 1] + "…"
    joiner = "" if not noun or not short or short[0] in "（〔【《“" else " "
    shown = f"{noun}{joiner}{short}"
    url = _url(e, links)
    if not url:
        return format_html('<span title="{}">{}</span>', name, shown)
    title = "查看此项的全部留痕" if links == "log" else name
    return format_html('<a href="{}" title="{}">{}</a>', url, title, shown)


def _url(e: AuditEvent, links: Links) -> str:
    if links == "log":
        return "?" + urlencode({"item": f"{e.object_type}:{e.object_id}"})
    if links != "pages" or e.object_type not in ITEM_URLS or not e.object_id.isdigit():
        return ""
    name, kwarg = ITEM_URLS[e.object_type]
    try:
        return reverse(name, kwargs={kwarg: int(e.object_id)})
    except NoReverseMatch:
        return ""


def _actor_units(events: Sequence[AuditEvent]) -> dict[int, str]:
    """The unit of each person who acted (a person in several units: the first by path). Kept a
    minute in the cache: every timeline names the same few people, and a page stays within its
    query budget."""
    ids = {e.actor_id for e in events if e.actor_id}
    if not ids:
        return {}
    keys = {f"audit:actor-unit:{i}": i for i in ids}
    found = {keys[k]: v for k, v in cache.get_many(list(keys)).items()}
    wanted = ids - set(found)
    if wanted:
        membership = apps.get_model("orgs", "Membership")
        rows = membership.objects.filter(user_id__in=wanted).order_by("unit__path").values_list("user_id", "unit__name")
        fresh: dict[int, str] = dict.fromkeys(wanted, "")
        for user_id, unit in rows:
            fresh[user_id] = fresh[user_id] or unit
        cache.set_many({f"audit:actor-unit:{i}": unit for i, unit in fresh.items()}, ACTOR_UNIT_SECONDS)
        found.update(fresh)
    return {k: v for k, v in found.items() if v}


def _kind_nouns(events: Sequence[AuditEvent]) -> dict[tuple[str, str], str]:
    """Items named by a choice (a 督办文书 is a 提醒函…): one query per such kind of item."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.object_type in NOUN_FIELD and e.object_id.isdigit():
            wanted[e.object_type].add(e.object_id)
    out: dict[tuple[str, str], str] = {}
    for object_type, ids in wanted.items():
        model = type_model(object_type)
        if model is None:
            continue
        name = NOUN_FIELD[object_type]
        choices = dict(model._meta.get_field(name).flatchoices)  # type: ignore[union-attr]
        for pk, value in model._default_manager.filter(pk__in=ids).values_list("pk", name):
            out[(object_type, str(pk))] = str(choices.get(value, value))
    return out


def _user_names(events: Sequence[AuditEvent]) -> dict[str, str]:
    ids = {e.object_id for e in events if e.object_type == "auth.user" and e.object_id.isdigit()}
    if not ids:
        return {}
    user = apps.get_model("auth", "User")
    rows = user.objects.filter(pk__in=ids).values_list("pk", "first_name", "last_name", "username")
    return {str(pk): (f"{last}{first}".strip() or username) for pk, first, last, username in rows}
