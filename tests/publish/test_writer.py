"""Publishing into the monthly list and README: only insertions, in the editors' format."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from paths import SHARED

from pipeline.draft.entry import render_entry
from pipeline.errors import OutputError, PublishError
from pipeline.models.summary import Summary
from pipeline.publish import writer as publish
from pipeline.publish.digest import split_lines
from pipeline.publish.writer import (
    FileChange,
    PublishItem,
    PublishPlan,
    apply_plan,
    atomic_write_text,
    month_name,
    plan_diff,
    plan_publish,
)

FORMAT = SHARED / "format"
SECTIONS = ["LLM", "Diffusion", "Controllable", "Video"]


def entry(title: str, paper_id: str, level: int = 4) -> str:
    """An entry as paperlist writes it (see prompts/entry.md.j2)."""
    return (
        f"{'#' * level} {title}\n"
        "- `Keypoints:` one; two; three;\n"
        f"- `Objective:` Why {title}. [arXiv](https://arxiv.org/abs/{paper_id})\n"
        "-   <details>\n"
        "    <summary>Details</summary>\n"
        "\n"
        "    - `Method:` how\n"
        "    - `Metric:` numbers\n"
        "    </details>\n"
    )


def item(paper_id: str, title: str, section: str) -> PublishItem:
    return PublishItem(paper_id, title, section, entry(title, paper_id))


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def publish_now(tmp_path: Path, items: list[PublishItem], month: str = "202404") -> PublishPlan:
    plan = plan_publish(tmp_path, month, items, SECTIONS)
    apply_plan(plan)
    return plan


def inserted_lines(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`; fails unless that is the only difference (a last line
    without terminator may gain one)."""
    old = split_lines(before)
    new = split_lines(after)
    if old and not old[-1].endswith("\n") and after.endswith("\n"):
        old[-1] += "\r\n" if new[len(old) - 1].endswith("\r\n") else "\n"
    ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    changed = [op for op in ops if op[0] != "equal"]
    assert changed, "nothing was inserted"
    assert [op[0] for op in changed] == ["insert"] * len(changed), changed
    return [line for _, _, _, start, end in changed for line in new[start:end]]


# --- month names -----------------------------------------------------------------------------


def test_month_name() -> None:
    assert month_name("202404") == "April 2024"
    assert month_name("199912") == "December 1999"


@pytest.mark.parametrize(
    "bad", ["2024-04", "202413", "202400", "20244", "April", "２０２４０４", ""]
)
def test_invalid_month_is_a_one_line_publish_error(tmp_path: Path, bad: str) -> None:
    with pytest.raises(PublishError) as error:
        plan_publish(tmp_path, bad, [item("2404.00001", "A", "LLM")], SECTIONS)
    assert str(error.value) == f"{bad!r} is not a month: expected YYYYMM, e.g. 202404"
    assert list(tmp_path.iterdir()) == []


# --- new files -------------------------------------------------------------------------------


def test_new_monthly_list_and_readme_have_the_hand_written_shape(tmp_path: Path) -> None:
    items = [
        item("2404.00003", "Gamma", "diffusion"),
        item("2404.00001", "Alpha", "LLM"),
        item("2404.00002", "Beta", "LLM"),
    ]
    plan = publish_now(tmp_path, items)

    assert plan.added == ("2404.00003", "2404.00001", "2404.00002")
    assert plan.already_present == ()
    assert [(c.path.name, c.before) for c in plan.changes] == [("PaperList_202404.md", None),
                                                              ("README.md", None)]
    assert read(tmp_path / "PaperList_202404.md") == (
        "# Introduction\n\n\n\n# PaperList\n\n## 202404\n\n"
        "### LLM\n"
        "#### Alpha\n"
        "- `Keypoints:` one; two; three;\n"
        "- `Objective:` Why Alpha. [arXiv](https://arxiv.org/abs/2404.00001)\n"
        "-   <details>\n"
        "    <summary>Details</summary>\n"
        "\n"
        "    - `Method:` how\n"
        "    - `Metric:` numbers\n"
        "    </details>\n"
        "\n"
        + entry("Beta", "2404.00002")
        + "\n### Diffusion\n"
        + entry("Gamma", "2404.00003")
    )
    assert read(tmp_path / "README.md") == (
        "# Introduction\n\n"
        "# PaperLists\n"
        "- [202404 weekly papers](PaperList_202404.md)\n\n"
        "# Latest Update: April 2024\n\n"
        "## LLM\n"
        + entry("Alpha", "2404.00001", level=3)
        + "\n"
        + entry("Beta", "2404.00002", level=3)
        + "\n## Diffusion\n"
        + entry("Gamma", "2404.00003", level=3)
    )


def test_rendered_entries_are_published_as_rendered(tmp_path: Path) -> None:
    summary = Summary(keypoints=["Feedback attention", "Working memory", "Long context"],
                      objective="Let Transformers attend to their own latent memory.",
                      method=["Feed activations back", "No new weights"],
                      metric="Long-context tasks at 1B, 8B and 24B.", section="LLM")
    title = "TransformerFAM: Feedback attention is working memory"
    monthly_entry = render_entry(title, summary, "2404.09173")
    publish_now(tmp_path, [PublishItem("2404.09173", title, "LLM", monthly_entry)])

    monthly = read(tmp_path / "PaperList_202404.md")
    assert monthly.endswith("### LLM\n" + monthly_entry)
    readme = read(tmp_path / "README.md")
    assert readme.endswith("## LLM\n" + render_entry(title, summary, "2404.09173", level=3))


def test_an_entry_without_its_id_gets_an_id_comment_so_reruns_recognise_it(
    tmp_path: Path,
) -> None:
    bare = "#### Alpha\n- `Objective:` Why.\n"
    items = [PublishItem("2404.00001v2", "Alpha", "LLM", bare)]
    publish_now(tmp_path, items)
    monthly = read(tmp_path / "PaperList_202404.md")
    assert monthly.endswith("### LLM\n#### Alpha\n<!-- arxiv:2404.00001 -->\n- `Objective:` Why.\n")

    renamed = [PublishItem("2404.00001", "Alpha (renamed by an editor)", "LLM",
                           bare.replace("Alpha", "Alpha (renamed by an editor)"))]
    plan = plan_publish(tmp_path, "202404", renamed, SECTIONS)
    assert plan.changes == ()
    assert plan.already_present == ("2404.00001",)


# --- the real hand-written files ---------------------------------------------------------------

SECOND_DIFFUSION = (
    "\n\n### Diffusion\n\n"
    "#### A second week of diffusion\n"
    "- `Keypoints:` figures;\n"
    "- `Objective:` keep the image\n"
    "-   <details>\n"
    "    <summary>Details</summary>\n"
    "\n"
    '    <img src="figs/second.png" width="600">\n'
    "    - `Method:` as drawn\n"
    "</details>\n"
    "\n"
    "#### An entry without details \n"
    "- `Keypoints:` none;\n"
    "- `Objective:` nothing folded"
)


@pytest.fixture
def real_files(tmp_path: Path) -> Path:
    """Copies of the editors' files: the monthly list in CRLF as in their repository, with a
    second `### Diffusion` week (an image in Details, an entry without Details) appended."""
    if not FORMAT.is_dir():
        pytest.skip(f"{FORMAT} is absent: the real hand-written files are not available")
    monthly = read(FORMAT / "PaperList_202404.example.md") + SECOND_DIFFUSION
    write(tmp_path / "PaperList_202404.md", crlf(monthly))
    shutil.copyfile(FORMAT / "README.example.md", tmp_path / "README.md")
    return tmp_path


REAL_ITEMS = [
    item("2404.10001", "Fresh LLM paper", "LLM"),
    item("2404.10002", "Fresh diffusion paper", "Diffusion"),
    item("2404.10003", "Fresh control paper", "Controllable"),
    item("2404.10004", "Customizing Text-to-Image Diffusion with Camera Viewpoint Control",
         "Diffusion"),
    item("2404.10005", "Neural Flow Diffusion Models: Learnable Forward Process for Improved "
         "Diffusion Modelling", "Diffusion"),
    item("2404.10006", "Fresh video paper", "Video"),
]


def test_real_monthly_list_only_gains_lines_in_crlf(real_files: Path) -> None:
    path = real_files / "PaperList_202404.md"
    before = read(path)
    plan = publish_now(real_files, REAL_ITEMS)
    after = read(path)

    assert plan.added == ("2404.10001", "2404.10002", "2404.10003", "2404.10006")
    assert plan.already_present == ("2404.10004", "2404.10005")
    new = inserted_lines(before, after)
    assert all(line.endswith("\r\n") for line in new)
    assert "\n" not in after.replace("\r\n", "")
    assert sum(line.startswith("#### ") for line in new) == 4

    lines = [line.rstrip("\r\n") for line in split_lines(after)]
    diffusion = [i for i, line in enumerate(lines) if line == "### Diffusion"]
    assert len(diffusion) == 2
    fresh = lines.index("#### Fresh diffusion paper")
    assert diffusion[0] < fresh < lines.index("### Controllable") < diffusion[1]
    assert lines[fresh - 2 : fresh] == ["</details>", ""]
    assert lines.index("#### Fresh LLM paper") < diffusion[0]
    assert lines[lines.index("### Video") - 2 :][:3] == ["- `Objective:` nothing folded", "",
                                                           "### Video"]
    assert crlf(SECOND_DIFFUSION.lstrip("\n")) + "\r\n" in after
    assert plan_publish(real_files, "202404", REAL_ITEMS, SECTIONS).changes == ()


def test_real_readme_only_gains_lines_in_lf(real_files: Path) -> None:
    path = real_files / "README.md"
    before = read(path)
    publish_now(real_files, REAL_ITEMS)
    after = read(path)

    new = inserted_lines(before, after)
    assert "\r" not in after
    assert [line for line in new if line.startswith("#")] == [
        "### Fresh LLM paper\n", "### Fresh diffusion paper\n", "### Fresh control paper\n",
        "## Video\n", "### Fresh video paper\n",
    ]
    lines = after.split("\n")
    assert lines.count("# Latest Update: April 2024") == 1
    assert lines.count("## Diffusion") == 1
    assert lines.index("## Diffusion") < lines.index("### Fresh diffusion paper") < lines.index(
        "## Controllable") < lines.index("### Fresh control paper") < lines.index(
        "## Diffusion Transformer") < lines.index("## Video")
    assert plan_publish(real_files, "202404", REAL_ITEMS, SECTIONS).changes == ()


# --- small real-shaped files -------------------------------------------------------------------

OLD = "- `Objective:` old\n"


def test_crlf_file_with_months_at_level_one(tmp_path: Path) -> None:
    before = crlf(
        "# Introduction\n\n# 202404\n\n## LLM\n\n### Old paper\n" + OLD + "\n"
        "## Diffusion\n### Diffusion paper\n" + OLD
    )
    write(tmp_path / "PaperList_202404.md", before)
    publish_now(tmp_path, [item("2404.00001", "New", "LLM"), item("2404.00002", "Newer", "llm")])
    assert read(tmp_path / "PaperList_202404.md") == crlf(
        "# Introduction\n\n# 202404\n\n## LLM\n\n### Old paper\n" + OLD + "\n"
        + entry("New", "2404.00001", level=3) + "\n"
        + entry("Newer", "2404.00002", level=3) + "\n"
        "## Diffusion\n### Diffusion paper\n" + OLD
    )


def test_duplicated_section_gets_the_entry_under_its_first_heading(tmp_path: Path) -> None:
    before = (
        "## 202404\n\n### Diffusion\n#### A\n- a\n\n### LLM\n#### B\n- b\n\n"
        "### Diffusion\n#### C\n- c"
    )
    write(tmp_path / "PaperList_202404.md", before)
    publish_now(tmp_path, [item("2404.00001", "D", "Diffusion")])
    assert read(tmp_path / "PaperList_202404.md") == (
        "## 202404\n\n### Diffusion\n#### A\n- a\n\n" + entry("D", "2404.00001") + "\n"
        "### LLM\n#### B\n- b\n\n### Diffusion\n#### C\n- c"
    )


def test_last_line_without_newline_gets_one_only_when_entries_follow_it(tmp_path: Path) -> None:
    write(tmp_path / "PaperList_202404.md", "## 202404\n\n### LLM\n#### B\n    </details>")
    publish_now(tmp_path, [item("2404.00001", "New", "LLM")])
    assert read(tmp_path / "PaperList_202404.md") == (
        "## 202404\n\n### LLM\n#### B\n    </details>\n\n" + entry("New", "2404.00001")
    )


def test_blank_lines_around_the_end_of_a_section_stay(tmp_path: Path) -> None:
    before = "## 202404\n\n### LLM\n#### A\n- a\n    \n\n\n### Diffusion\n#### B\n- b\n"
    write(tmp_path / "PaperList_202404.md", before)
    publish_now(tmp_path, [item("2404.00001", "New", "LLM")])
    assert read(tmp_path / "PaperList_202404.md") == (
        "## 202404\n\n### LLM\n#### A\n- a\n    \n" + entry("New", "2404.00001")
        + "\n\n### Diffusion\n#### B\n- b\n"
    )


def test_missing_sections_are_appended_to_the_month_in_section_order(tmp_path: Path) -> None:
    before = "## 202404\n\n### LLM\n#### A\n- a\n\n## 202403\n\n### LLM\n#### B\n- b\n"
    write(tmp_path / "PaperList_202404.md", before)
    publish_now(tmp_path, [item("2404.00001", "V", "Video"), item("2404.00002", "D", "Diffusion"),
                           item("2404.00003", "X", "Misc")])
    assert read(tmp_path / "PaperList_202404.md") == (
        "## 202404\n\n### LLM\n#### A\n- a\n\n"
        "### Diffusion\n" + entry("D", "2404.00002") + "\n"
        "### Video\n" + entry("V", "2404.00001") + "\n"
        "### Misc\n" + entry("X", "2404.00003") + "\n"
        "## 202403\n\n### LLM\n#### B\n- b\n"
    )


def test_missing_month_is_appended_at_the_files_month_level(tmp_path: Path) -> None:
    before = "\ufeff# Introduction\n\n# PaperList\n\n# 202403\n\n## LLM\n### B\n- b\n\n\n"
    write(tmp_path / "PaperList_202404.md", before)
    publish_now(tmp_path, [item("2404.00001", "New", "LLM")])
    assert read(tmp_path / "PaperList_202404.md") == (
        before[:-1] + "# 202404\n\n## LLM\n" + entry("New", "2404.00001", level=3)
    )


def test_hand_written_title_with_nbsp_and_trailing_space_is_a_duplicate(tmp_path: Path) -> None:
    before = (
        "## 202404\n\n### Diffusion\n"
        "#### Customizing\u00a0Text-to-Image\u00a0Diffusion\u00a0with\u00a0Camera\u00a0Control \n"
        "- c\n\n### LLM\n"
        "#### ＲＵＬＥＲ：Ｗｈａｔ’ｓ ｔｈｅ Ｒｅａｌ Ｃｏｎｔｅｘｔ Ｓｉｚｅ？\n- r\n"
    )
    write(tmp_path / "PaperList_202404.md", before)
    items = [
        item("2404.00001", "Customizing Text-to-Image Diffusion with Camera Control", "LLM"),
        item("2404.00002", "RULER: What's the real context size?", "LLM"),
    ]
    plan = plan_publish(tmp_path, "202404", items, SECTIONS)
    assert plan.added == ()
    assert plan.already_present == ("2404.00001", "2404.00002")
    assert [c.path.name for c in plan.changes] == ["README.md"]  # only the link and the block


@pytest.mark.parametrize(
    "reference",
    ["[arXiv](https://arxiv.org/pdf/2404.07965v2)", "<!-- arxiv:2404.07965 -->",
     "http://arxiv.org/abs/2404.07965"],
)
def test_an_id_anywhere_in_the_file_is_a_duplicate(tmp_path: Path, reference: str) -> None:
    before = f"## 202404\n\n### LLM\n#### Another title\n- {reference}\n"
    write(tmp_path / "PaperList_202404.md", before)
    plan = plan_publish(tmp_path, "202404", [item("2404.07965", "Brand new", "Diffusion")],
                        SECTIONS)
    assert (plan.added, plan.already_present) == ((), ("2404.07965",))
    assert all(c.path.name != "PaperList_202404.md" for c in plan.changes)


def test_the_same_paper_twice_in_one_call_is_inserted_once(tmp_path: Path) -> None:
    items = [item("2404.00001", "Alpha", "LLM"), item("2404.00001v2", "Alpha", "Diffusion"),
             item("2404.00009", "ALPHA", "LLM")]
    plan = publish_now(tmp_path, items)
    assert plan.added == ("2404.00001",)
    assert plan.already_present == ("2404.00009",)
    monthly = read(tmp_path / "PaperList_202404.md")
    assert monthly.count("#### ") == 1
    assert "### Diffusion" not in monthly


def test_second_publish_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "PaperList_202404.md", crlf("## 202404\n\n### LLM\n#### A\n- a"))
    items = [item("2404.00001", "New", "LLM"), item("2404.00002", "Other", "Video")]
    first = publish_now(tmp_path, items)
    assert len(first.changes) == 2
    again = plan_publish(tmp_path, "202404", items, SECTIONS)
    assert again.changes == ()
    assert again.added == ()
    assert again.already_present == ("2404.00001", "2404.00002")
    assert plan_diff(again) == ""


def test_bad_entries_are_refused_with_the_paper_id(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="^2404.00001: the entry does not start with a title"):
        plan_publish(tmp_path, "202404",
                     [PublishItem("2404.00001", "A", "LLM", "- `Objective:` o\n")], SECTIONS)
    with pytest.raises(PublishError, match="^2404.00002: the entry has a second heading"):
        plan_publish(tmp_path, "202404",
                     [PublishItem("2404.00002", "B", "LLM", "#### B\n- b\n### Oops\n")], SECTIONS)


# --- README ------------------------------------------------------------------------------------

MONTHLY = "# Introduction\n\n\n\n# PaperList\n\n## 202404\n\n### LLM\n#### A\n- a\n"


def test_readme_showing_another_month_gets_a_block_that_agrees(tmp_path: Path) -> None:
    write(tmp_path / "PaperList_202404.md", MONTHLY)
    write(tmp_path / "README.md", (
        "# Introduction\nDigest.\n\n# PaperLists\n- [202403 weekly papers](PaperList_202403.md)\n"
        "\n# Latest Update: March 2024\n\n## LLM\n\n### March paper\n- m\n\n\n# Contact\nus"
    ))
    publish_now(tmp_path, [item("2404.00001", "New", "Diffusion")])
    assert read(tmp_path / "README.md") == (
        "# Introduction\nDigest.\n\n# PaperLists\n- [202403 weekly papers](PaperList_202403.md)\n"
        "- [202404 weekly papers](PaperList_202404.md)\n"
        "\n# Latest Update: April 2024\n\n## LLM\n### A\n- a\n\n"
        "## Diffusion\n" + entry("New", "2404.00001", level=3) + "\n# Contact\nus"
    )


def test_readme_heading_that_disagrees_with_its_body_is_replaced(tmp_path: Path) -> None:
    """The real README once said August over April's entries: publishing April fixes it."""
    write(tmp_path / "PaperList_202404.md", MONTHLY)
    readme = ("# PaperLists\n- [202404 weekly papers](PaperList_202404.md)\n\n"
              "# Latest Update: August 2024\n\n## LLM\n### A \n- a (as in April)\n")
    write(tmp_path / "README.md", readme)
    publish_now(tmp_path, [item("2404.00001", "New", "LLM")])
    assert read(tmp_path / "README.md") == (
        "# PaperLists\n- [202404 weekly papers](PaperList_202404.md)\n\n"
        "# Latest Update: April 2024\n\n## LLM\n### A\n- a\n\n" + entry("New", "2404.00001", 3)
    )


def test_readme_heading_of_this_month_over_another_months_body_is_replaced(
    tmp_path: Path,
) -> None:
    write(tmp_path / "PaperList_202404.md", MONTHLY)
    write(tmp_path / "README.md", "# Latest Update: April 2024\n\n## LLM\n### From March\n- m\n")
    publish_now(tmp_path, [item("2404.00001", "New", "LLM")])
    assert read(tmp_path / "README.md").endswith(
        "# Latest Update: April 2024\n\n## LLM\n### A\n- a\n\n" + entry("New", "2404.00001", 3)
    )
    assert "From March" not in read(tmp_path / "README.md")


def test_readme_showing_a_newer_month_keeps_its_block(tmp_path: Path) -> None:
    write(tmp_path / "PaperList_202404.md", MONTHLY)
    block = "# Latest Update: May 2024\n\n## LLM\n### A May paper\n- m\n"
    write(tmp_path / "README.md", "# PaperLists\n- [202405 weekly papers](PaperList_202405.md)\n\n"
          + block)
    publish_now(tmp_path, [item("2404.00001", "Late", "LLM")])
    assert read(tmp_path / "README.md") == (
        "# PaperLists\n- [202404 weekly papers](PaperList_202404.md)\n"
        "- [202405 weekly papers](PaperList_202405.md)\n\n" + block
    )


def test_readme_already_at_this_month_gains_the_entries(tmp_path: Path) -> None:
    write(tmp_path / "PaperList_202404.md", MONTHLY)
    before = ("# Introduction\n\n# PaperLists\n- [202404 weekly papers](PaperList_202404.md)\n\n"
              "# Latest Update: April 2024\n\n## LLM\n\n### A\n- a\n\n## Diffusion\n\n### B\n- b")
    write(tmp_path / "README.md", before)
    publish_now(tmp_path, [item("2404.00001", "New", "LLM"), item("2404.00002", "Z", "Video")])
    assert read(tmp_path / "README.md") == (
        "# Introduction\n\n# PaperLists\n- [202404 weekly papers](PaperList_202404.md)\n\n"
        "# Latest Update: April 2024\n\n## LLM\n\n### A\n- a\n\n"
        + entry("New", "2404.00001", 3)
        + "\n## Diffusion\n\n### B\n- b\n\n## Video\n" + entry("Z", "2404.00002", 3)
    )


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        (["202403", "202405"], ["202403", "202404", "202405"]),
        (["202405", "202403"], ["202405", "202404", "202403"]),
        (["202401", "202402"], ["202401", "202402", "202404"]),
        (["202405"], ["202404", "202405"]),
    ],
)
def test_paperlists_link_goes_in_sorted_order(
    tmp_path: Path, listed: list[str], expected: list[str]
) -> None:
    write(tmp_path / "PaperList_202404.md", MONTHLY)
    links = "".join(f"- [{m} weekly papers](PaperList_{m}.md)\n" for m in listed)
    write(tmp_path / "README.md", crlf(f"# Introduction\nx\n\n# PaperLists\n{links}\n# Other\n"))
    publish_now(tmp_path, [])
    links = "".join(f"- [{m} weekly papers](PaperList_{m}.md)\n" for m in expected)
    assert read(tmp_path / "README.md") == crlf(
        f"# Introduction\nx\n\n# PaperLists\n{links}\n# Other\n\n"
        "# Latest Update: April 2024\n\n## LLM\n### A\n- a\n"
    )


def test_paperlists_heading_is_created_after_the_introduction(tmp_path: Path) -> None:
    write(tmp_path / "PaperList_202404.md", MONTHLY)
    write(tmp_path / "README.md", "# Introduction\nAbout.\n\n# Latest Update: April 2024\n\n"
          "## LLM\n### A\n- a\n")
    publish_now(tmp_path, [])
    assert read(tmp_path / "README.md") == (
        "# Introduction\nAbout.\n\n# PaperLists\n- [202404 weekly papers](PaperList_202404.md)\n"
        "\n# Latest Update: April 2024\n\n## LLM\n### A\n- a\n"
    )


def test_nothing_to_publish_and_no_monthly_list_writes_nothing(tmp_path: Path) -> None:
    plan = plan_publish(tmp_path, "202404", [], SECTIONS)
    assert plan == PublishPlan("202404", (), (), ())


# --- dry run and writing -----------------------------------------------------------------------


def test_plan_diff_shows_the_dry_run_without_writing(tmp_path: Path) -> None:
    monthly = tmp_path / "PaperList_202404.md"
    write(monthly, "## 202404\n\n### LLM\n#### A\n- a")
    bare = PublishItem("2404.00001", "B", "LLM", "#### B\n- b\n")
    plan = plan_publish(tmp_path, "202404", [bare], SECTIONS)
    assert plan_diff(plan) == (
        f"--- {monthly}\n"
        f"+++ {monthly}\n"
        "@@ -2,4 +2,8 @@\n"
        " \n"
        " ### LLM\n"
        " #### A\n"
        "-- a\n"
        "\\ No newline at end of file\n"
        "+- a\n"
        "+\n"
        "+#### B\n"
        "+<!-- arxiv:2404.00001 -->\n"
        "+- b\n"
        "--- /dev/null\n"
        f"+++ {tmp_path / 'README.md'}\n"
        "@@ -0,0 +1,14 @@\n"
        "+# Introduction\n"
        "+\n"
        "+# PaperLists\n"
        "+- [202404 weekly papers](PaperList_202404.md)\n"
        "+\n"
        "+# Latest Update: April 2024\n"
        "+\n"
        "+## LLM\n"
        "+### A\n"
        "+- a\n"
        "+\n"
        "+### B\n"
        "+<!-- arxiv:2404.00001 -->\n"
        "+- b\n"
    )
    assert read(monthly) == "## 202404\n\n### LLM\n#### A\n- a"
    assert not (tmp_path / "README.md").exists()


def test_apply_plan_writes_the_monthly_list_before_the_readme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[str] = []
    monkeypatch.setattr(publish, "atomic_write_text", lambda path, text: written.append(path.name))
    apply_plan(plan_publish(tmp_path, "202404", [item("2404.00001", "A", "LLM")], SECTIONS))
    assert written == ["PaperList_202404.md", "README.md"]


def test_apply_plan_refuses_a_file_edited_since_the_plan(tmp_path: Path) -> None:
    monthly = tmp_path / "PaperList_202404.md"
    write(monthly, MONTHLY)
    plan = plan_publish(tmp_path, "202404", [item("2404.00001", "B", "LLM")], SECTIONS)
    write(monthly, MONTHLY + "#### Added by an editor\n")
    with pytest.raises(PublishError, match="changed since the publish was planned"):
        apply_plan(plan)
    assert read(monthly) == MONTHLY + "#### Added by an editor\n"
    assert not (tmp_path / "README.md").exists()


def test_apply_plan_creates_the_output_directory(tmp_path: Path) -> None:
    out = tmp_path / "output"
    apply_plan(plan_publish(out, "202404", [item("2404.00001", "A", "LLM")], SECTIONS))
    assert sorted(p.name for p in out.iterdir()) == ["PaperList_202404.md", "README.md"]


def test_atomic_write_text_writes_exactly_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    write(path, "old")
    path.chmod(0o640)
    text = "\ufeffa\r\nb\nc\u00a0\u2028d"
    atomic_write_text(path, text)
    assert path.read_bytes() == text.encode("utf-8")
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]


def test_atomic_write_text_keeps_the_old_file_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "PaperList_202404.md"
    write(path, "hand-written\r\n")

    def fail(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OutputError, match="^cannot write .*: no space left on the device: free "
                       "some space and run again$"):
        atomic_write_text(path, "new")
    assert read(path) == "hand-written\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["PaperList_202404.md"]


def test_file_change_records_creation_with_before_none(tmp_path: Path) -> None:
    plan = plan_publish(tmp_path, "202404", [item("2404.00001", "A", "LLM")], SECTIONS)
    assert all(isinstance(c, FileChange) and c.before is None for c in plan.changes)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "PaperList_202404.md").write_bytes("## 202404\n\xe9t\xe9\n".encode("latin-1"))
    with pytest.raises(PublishError, match="is not UTF-8"):
        plan_publish(tmp_path, "202404", [item("2404.00001", "A", "LLM")], SECTIONS)


def test_atomic_write_text_syncs_the_data_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync")
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(f"replace {Path(src).read_bytes()!r}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write_text(tmp_path / "README.md", "x\r\n")
    assert calls[:2] == ["fsync", "replace b'x\\r\\n'"]


def test_a_readme_left_behind_by_an_interrupted_publish_catches_up(tmp_path: Path) -> None:
    write(tmp_path / "PaperList_202404.md", MONTHLY)
    readme = "# PaperLists\n- [202404 weekly papers](PaperList_202404.md)\n\n" \
             "# Latest Update: April 2024\n\n## LLM\n### A\n- a\n"
    write(tmp_path / "README.md", readme)
    items = [item("2404.00001", "New", "LLM")]
    first = plan_publish(tmp_path, "202404", items, SECTIONS)
    apply_plan(PublishPlan(first.month, first.changes[:1], first.added, first.already_present))

    again = plan_publish(tmp_path, "202404", items, SECTIONS)
    assert (again.added, again.already_present) == ((), ("2404.00001",))
    assert [c.path.name for c in again.changes] == ["README.md"]
    assert again.changes[0].after == readme + "\n" + entry("New", "2404.00001", level=3)
