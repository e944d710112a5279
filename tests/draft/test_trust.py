"""The checks on what no paper vouches for: the language (lingua), a sentence said again and
again, control characters, markup."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.draft.checks import CheckReport
from pipeline.draft.trust import language_of, run_trust_checks
from pipeline.errors import ConfigError
from pipeline.models.summary import Summary

TITLE = "Sparse Lantern Attention for Long Documents"
ENGLISH = {
    "keypoints": ["Sparse lantern attention", "Linear-time attention", "LoRA; KV cache"],
    "objective": "Make attention over long documents cheaper without losing accuracy.",
    "method": ["Each token attends to 64 learned lantern tokens.",
               "The lanterns are updated with a linear-time scan after every layer."],
    "metric": "On LongBench, a 1.3B model with SLA scores 41.2 versus 41.0 for dense "
              "attention and runs 3.1 times faster on 32k-token inputs.",
    "results": None,
    "limitation": "The number of lantern tokens must be chosen by hand.",
    "section": "LLM",
}
TRANSLATIONS = {
    "Russian": {
        "objective": "Сделать внимание для длинных документов дешевле без потери точности.",
        "method": ["Каждый токен обращается к 64 обученным токенам-фонарям.",
                   "Фонари обновляются линейным проходом после каждого слоя."],
        "metric": "На LongBench модель 1.3B с SLA набирает 41.2 против 41.0 у плотного "
                  "внимания и работает в 3.1 раза быстрее.",
        "limitation": "Число токенов-фонарей приходится выбирать вручную."},
    "French": {
        "objective": "Rendre l'attention sur les longs documents moins coûteuse sans perdre "
                     "en précision.",
        "method": ["Chaque jeton porte son attention sur 64 jetons lanternes appris.",
                   "Les lanternes sont mises à jour par un balayage linéaire après chaque "
                   "couche."],
        "metric": "Sur LongBench, un modèle de 1.3B avec SLA obtient 41.2 contre 41.0 pour "
                  "l'attention dense et va 3.1 fois plus vite.",
        "limitation": "Le nombre de jetons lanternes doit être choisi à la main."},
    "German": {
        "objective": "Die Aufmerksamkeit über lange Dokumente billiger machen, ohne an "
                     "Genauigkeit zu verlieren.",
        "method": ["Jedes Token achtet auf 64 gelernte Laternen-Token.",
                   "Die Laternen werden nach jeder Schicht mit einem linearen Durchlauf "
                   "aktualisiert."],
        "metric": "Auf LongBench erreicht ein 1.3B-Modell mit SLA 41.2 statt 41.0 und ist "
                  "3.1-mal schneller.",
        "limitation": "Die Zahl der Laternen-Token muss von Hand gewählt werden."},
    "Chinese": {
        "objective": "在不损失精度的情况下降低长文档注意力的计算成本。",
        "method": ["每个词元只关注 64 个学习得到的灯笼词元。",
                   "每一层之后用线性扫描更新灯笼词元。"],
        "metric": "在 LongBench 上，使用 SLA 的 1.3B 模型得分 41.2，"
                  "稠密注意力为 41.0，速度快 3.1 倍。",
        "limitation": "灯笼词元的数量需要手工选择。"},
}


def draft(**change: Any) -> Summary:
    return Summary.model_validate({**ENGLISH, **change})


def flags(value: Summary, language: str = "English", hosts: tuple[str, ...] = ()) -> list[str]:
    report = CheckReport()
    run_trust_checks(value, report, title=TITLE, language=language, link_hosts=hosts)
    return report.flags


def trust_flags(value: Summary, language: str = "English") -> list[str]:
    report = CheckReport()
    run_trust_checks(value, report, title=TITLE, language=language)
    return report.trust


def test_an_english_draft_for_an_english_digest_passes() -> None:
    assert flags(draft()) == []


@pytest.mark.parametrize("written", ["Russian", "French", "German", "Chinese"])
def test_a_draft_in_another_language_is_flagged_in_every_field(written: str) -> None:
    found = trust_flags(draft(**TRANSLATIONS[written]))
    assert [flag.split(":")[0] for flag in found] == ["objective", "method", "metric",
                                                       "limitation"]
    assert all(f"written in {written}" in flag and flag.endswith("not English")
               for flag in found)


@pytest.mark.parametrize("configured", ["Chinese", "中文", "zh-CN", "Japanese", "French"])
def test_an_english_draft_for_another_digest_is_flagged(configured: str) -> None:
    found = trust_flags(draft(), configured)
    assert found and all("written in English" in flag for flag in found)


def test_a_chinese_draft_for_a_chinese_digest_passes() -> None:
    assert flags(draft(**TRANSLATIONS["Chinese"]), "Chinese") == []


def test_one_field_in_another_language_is_flagged_alone() -> None:
    found = flags(draft(metric="Sur LongBench, le modèle obtient un score de 41.2 contre 41.0 "
                               "pour l'attention dense, et il est bien plus rapide que lui."))
    assert found == ["metric: written in French (100% sure), not English"]


def test_language_names_codes_and_native_names() -> None:
    assert language_of("English").name == "ENGLISH"
    assert language_of("Simplified Chinese").name == "CHINESE"
    assert language_of("zh-CN").name == "CHINESE"
    assert language_of("日本語").name == "JAPANESE"
    assert language_of("Deutsch").name == "GERMAN"
    assert language_of("pt").name == "PORTUGUESE"
    with pytest.raises(ConfigError) as caught:
        language_of("Klingon")
    assert str(caught.value).startswith("output.language: 'Klingon' is not a language "
                                        "paperlist can check")


def test_a_sentence_repeated_across_fields_is_flagged() -> None:
    sentence = "The model attends to a small set of learned lantern tokens."
    found = flags(draft(method=[sentence] * 4, metric=sentence + " It scores 41.2.",
                        results=sentence, limitation=sentence))
    assert found == [
        f'method: repeats a sentence again: "{sentence}"',
        f'metric: repeats a sentence as method does: "{sentence}"',
        f'results: repeats a sentence as method does: "{sentence}"',
        f'limitation: repeats a sentence as method does: "{sentence}"',
    ]


def test_control_characters_are_flagged_as_trust_failures() -> None:
    found = trust_flags(draft(metric="Loss falls with \x08eta and \x0crac{1}{2}, see "
                                     "\u202eevil."))
    assert found == ["metric: control characters U+0008, U+000C, U+202E (a garbled escape?)"]


def test_markup_and_foreign_links_are_flagged() -> None:
    found = trust_flags(draft(
        objective="Make attention cheaper <script>alert(1)</script> for long documents.",
        method=["Each token attends to 64 tokens <img src=x onerror=alert(1)>.",
                "See [the code](https://evil.example/x) and https://arxiv.org/abs/2404.01234."],
        keypoints=["Sparse attention", "![logo](https://evil.example/logo.png)", "Long"]))
    assert found == [
        "keypoints: markup removed from the entry: a markdown image, a link to evil.example",
        "objective: markup removed from the entry: HTML tag <script>, HTML tag </script>",
        "method: markup removed from the entry: HTML tag <img>, a link to evil.example",
    ]


def test_configured_hosts_may_be_linked() -> None:
    method = ["The code is at https://github.com/lantern/sla for everyone to read."]
    assert flags(draft(method=method)) == [
        "method: markup removed from the entry: a link to github.com"]
    assert flags(draft(method=method), hosts=("github.com",)) == []


def test_a_title_with_markup_is_flagged_for_the_editor() -> None:
    report = CheckReport()
    run_trust_checks(draft(), report, title="Attention </details><script>x</script>",
                     language="English")
    assert report.flags == ["title: markup escaped in the entry: HTML tag </details>, HTML tag "
                            "<script>, HTML tag </script>"]
    assert report.problems == {}  # nothing for the model to fix
