"""Checks on what a model wrote that no paper can vouch for: the language, a sentence said
again and again, control characters, and markup (tags, images, foreign links).

The language is identified with lingua (lingua-language-detector: 75 languages, its models in
the wheel, nothing downloaded at run time) in its low-accuracy mode, which loads in about 2 s
and 80 MB where the high-accuracy one takes 35 s and 1 GB, with Latin left out (scientific
English is Latinate enough to be read as Latin). Short sentences of it are still misread now
and then: `bench/language.py --papers 2000` over the abstracts in ../shared/weeks found 22 of
7,927 single sentences of 4 words or more read as another language with under 10 % for
English (0.28 %), 4 of 7,745 sentences of 10 words or more with under 1 % (0.05 %), and none
of 3,991 pairs of sentences with under 10 %. So the draft's prose is judged as a whole (under
10 %: then every field that reads as another language is flagged), and a field on its own
only when it has 10 words or more and lingua gives the configured language under 1 %.
lingua is imported lazily: the CLI starts without it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..models.summary import Summary
from .markup import control_characters, markup_in, without_markup
from .schema import CJK_CHARACTERS

if TYPE_CHECKING:
    from .checks import CheckReport

WHOLE_BELOW = 0.10  # the configured language's confidence under which the draft is not in it
FIELD_BELOW = 0.01
FIELD_WORDS = 10
WHOLE_WORDS = 8
REPEAT_WORDS = 5  # sentences shorter than this may repeat (a heading-like phrase)
_NATIVE = {"中文": "CHINESE", "汉语": "CHINESE", "漢語": "CHINESE", "简体中文": "CHINESE",
           "繁體中文": "CHINESE", "日本語": "JAPANESE", "한국어": "KOREAN", "français": "FRENCH",
           "deutsch": "GERMAN", "español": "SPANISH", "русский": "RUSSIAN",
           "português": "PORTUGUESE", "italiano": "ITALIAN", "nederlands": "DUTCH",
           "polski": "POLISH", "türkçe": "TURKISH", "українська": "UKRAINIAN",
           "tiếng việt": "VIETNAMESE", "bahasa indonesia": "INDONESIAN"}
_WORD = re.compile(r"[^\W\d_]{2,}")
_CJK = re.compile(f"[{CJK_CHARACTERS}]")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")
_lock = threading.Lock()


def prose_fields(summary: Summary) -> dict[str, str]:
    """The fields written as sentences (keypoints are phrases, often acronyms)."""
    fields = {"objective": summary.objective, "method": " ".join(summary.method)}
    for name in ("metric", "results", "limitation"):
        value = getattr(summary, name)
        if value:
            fields[name] = value
    return fields


def all_fields(summary: Summary) -> dict[str, list[str]]:
    """Every text field of a summary, lists as lists."""
    fields: dict[str, list[str]] = {"keypoints": list(summary.keypoints),
                                    "objective": [summary.objective],
                                    "method": list(summary.method)}
    for name in ("metric", "results", "limitation"):
        value = getattr(summary, name)
        if value:
            fields[name] = [value]
    return fields


def language_of(name: str) -> Any:
    """The lingua Language for a configured language: an English name ("French", "Simplified
    Chinese"), an ISO 639 code ("fr", "zh-CN") or a native name ("中文", "Deutsch").
    ConfigError when lingua does not know it."""
    from lingua import IsoCode639_1, IsoCode639_3, Language

    text = name.strip().casefold()
    by_name = {language.name.casefold(): language for language in Language.all()}
    if text in by_name:
        return by_name[text]
    if text in _NATIVE:
        return by_name[_NATIVE[text].casefold()]
    code = re.split(r"[-_]", text)[0]
    for codes, builder in ((IsoCode639_1, Language.from_iso_code_639_1),
                           (IsoCode639_3, Language.from_iso_code_639_3)):
        member = getattr(codes, code.upper(), None)
        if member is not None:
            return builder(member)
    for word in re.findall(r"[^\W\d_]+", text):
        if word in by_name:
            return by_name[word]
    raise ConfigError(f"output.language: {name!r} is not a language paperlist can check; "
                      "use an English name such as English, Chinese or French, or an ISO "
                      "639-1 code")


@lru_cache(maxsize=2)
def _detector(latin: bool = False) -> Any:
    """All of lingua's languages but Latin (unless Latin is the one to check): scientific
    English is Latinate enough to be read as Latin, and no digest is written in it."""
    from lingua import Language, LanguageDetectorBuilder

    with _lock:
        builder = (LanguageDetectorBuilder.from_all_languages() if latin
                   else LanguageDetectorBuilder.from_all_languages_without(Language.LATIN))
        return builder.with_low_accuracy_mode().build()


def _words(text: str) -> int:
    """Words for the thresholds: runs of letters, with two CJK characters counted as one."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk // 2


def _judge(text: str, target: Any) -> tuple[Any, float, float]:
    """(the most likely language, its confidence, the target's confidence)."""
    detector = _detector(target.name == "LATIN")
    values = detector.compute_language_confidence_values(text)
    top = values[0] if values else None
    target_value = detector.compute_language_confidence(text, target)
    return (top.language if top else None), (top.value if top else 0.0), target_value


def check_language_id(summary: Summary, language: str, report: CheckReport) -> None:
    """Flag the prose fields not written in the configured language: all that read as
    another language when the draft as a whole does, else only long fields that clearly do."""
    target = language_of(language)
    fields = {name: without_markup(text) for name, text in prose_fields(summary).items()}
    judged = {name: (*_judge(text, target), _words(text)) for name, text in fields.items()
              if _words(text) >= 3}
    whole = ". ".join(fields.values())
    off: dict[str, tuple[Any, float]] = {}
    if _words(whole) >= WHOLE_WORDS:
        top, value, mine = _judge(whole, target)
        if top is not None and top != target and mine < WHOLE_BELOW:
            off = {name: (t, v) for name, (t, v, _, _) in judged.items() if t != target}
            off = off or {"objective": (top, value)}
    if not off:
        off = {name: (t, v) for name, (t, v, m, words) in judged.items()
               if t is not None and t != target and words >= FIELD_WORDS and m < FIELD_BELOW}
    for name, (top, value) in off.items():
        report.flag(name, f"{name}: written in {top.name.title()} ({value:.0%} sure), not "
                          f"{language}", trust=True)


def check_repeats(summary: Summary, report: CheckReport) -> None:
    """Flag a sentence said again, in its own field or another one."""
    seen: dict[str, str] = {}
    for name, texts in all_fields(summary).items():
        if name == "keypoints":
            continue
        counted: set[str] = set()
        for text in texts:
            for sentence in _SENTENCE.split(text.strip()):
                key = " ".join(w.casefold() for w in _WORD.findall(sentence))
                if len(key.split()) < REPEAT_WORDS:
                    continue
                if key in seen and (seen[key] != name or key in counted):
                    where = "again" if seen[key] == name else f"as {seen[key]} does"
                    message = f"{name}: repeats a sentence {where}: \"{_short(sentence)}\""
                    if message not in report.flags:
                        report.flag(name, message)
                seen.setdefault(key, name)
                counted.add(key)


def check_controls(summary: Summary, report: CheckReport) -> None:
    """Flag control characters (a LaTeX command read as a JSON escape, a bidi override)."""
    for name, texts in all_fields(summary).items():
        found = list(dict.fromkeys(c for text in texts for c in control_characters(text)))
        if found:
            report.flag(name, f"{name}: control characters {', '.join(found)} (a garbled "
                              "escape?)", trust=True)


def check_markup(summary: Summary, title: str, hosts: Collection[str],
                 report: CheckReport) -> None:
    """Flag HTML, images and foreign links in the fields (and the paper's title): they are
    neutralized in the entry, and an editor should know the model or the paper wrote them."""
    for name, texts in all_fields(summary).items():
        found = list(dict.fromkeys(p for text in texts for p in markup_in(text, hosts)))
        if found:
            report.flag(name, f"{name}: markup removed from the entry: {', '.join(found)}",
                        trust=True)
    found = markup_in(title, hosts)
    if found:  # not the model's to fix: flagged, with no field to ask again for
        message = f"title: markup escaped in the entry: {', '.join(found)}"
        report.flags.append(message)
        report.trust.append(message)


def run_trust_checks(summary: Summary, report: CheckReport, *, title: str, language: str,
                     link_hosts: Collection[str] = ()) -> None:
    """Every check of this module, flags added to `report`."""
    check_controls(summary, report)
    check_markup(summary, title, link_hosts, report)
    check_repeats(summary, report)
    check_language_id(summary, language, report)


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"
