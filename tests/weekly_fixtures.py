"""A fake arXiv week (2024-W15) and a fake model that answers deterministically per paper.

Shared by the weekly tests and bench/weekly.py. `expected_entry` spells the editors' format out
independently of prompts/entry.md.j2, so the published files are checked against the format
itself rather than against the template that produced them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fakes import FakePaper, preflight_answer

WEEK_START = datetime(2024, 4, 8, 9, 0, tzinfo=UTC)

# (id, title, categories, expected section or None when the week's run must drop it)
WEEK: list[tuple[str, str, list[str], str | None]] = [
    ("2404.06001", "RULER: What's the Real Context Size of Your Long-Context Language Models?",
     ["cs.CL"], "LLM"),
    ("2404.06002", "LLoCO: Learning Long Contexts Offline with LLMs", ["cs.CL"], "LLM"),
    ("2404.06003", "LLM2Vec: Large Language Models Are Secretly Powerful Text Encoders",
     ["cs.CL"], "LLM"),
    ("2404.06004", "RHO-1: Not All Tokens Are What a Language Model Needs", ["cs.CL"], "LLM"),
    ("2404.06005", "Megalodon: Efficient LLM Pretraining with Unlimited Context Length",
     ["cs.LG"], "LLM"),
    ("2404.06006", "TransformerFAM: Feedback attention is working memory for LLMs",
     ["cs.LG", "cs.CL"], "LLM"),
    ("2404.06007", "Analysis of Classifier-Free Guidance Weight Schedulers", ["cs.CV"],
     "Diffusion"),
    ("2404.06008", "Neural Flow Diffusion Models: Learnable Forward Process", ["cs.LG"],
     "Diffusion"),
    ("2404.06009", "Applying Guidance in a Limited Interval Improves Diffusion Models",
     ["cs.CV"], "Diffusion"),
    ("2404.06010", "Efficient Conditional Diffusion Model with Probability Flow Sampling",
     ["cs.CV"], "Diffusion"),
    ("2404.06011", "Denoising Diffusion for Image Super-resolution", ["cs.CV"], "Diffusion"),
    ("2404.06012", "ControlNet++: Improving Conditional Controls with Consistency Feedback",
     ["cs.CV"], "Controllable"),
    ("2404.06013", "Ctrl-Adapter: Adapting Diverse ControlNets to Any Backbone", ["cs.CV"],
     "Controllable"),
    ("2404.06014", "MaxFusion: Plug&Play Multi-Modal Controllable Generation", ["cs.CV"],
     "Controllable"),
    ("2404.06015", "Diffscaler: Enhancing the Generative Prowess of Diffusion Transformers",
     ["cs.CV"], "Diffusion Transformer"),
    ("2404.06016", "Scaling Diffusion Transformers to Sixteen Billion Parameters", ["cs.CV"],
     "Diffusion Transformer"),
    ("2404.06017", "Lumina-T2X: Flow-based Diffusion Transformers at Scale", ["cs.CV"],
     "Diffusion Transformer"),
    ("2404.06018", "Open-Sora Plan: Text-to-Video with Long Clips", ["cs.CV"],
     "Video Generation"),
    ("2404.06019", "Video Generation with Consistent Characters", ["cs.CV"], "Video Generation"),
    ("2404.06020", "Motion Priors for Video Generation", ["cs.CV"], "Video Generation"),
    ("2404.06021", "Text-to-Image Generation with Readable Typography", ["cs.CV"],
     "Image Generation"),
    ("2404.06022", "Image Synthesis from Scene Graphs Revisited", ["cs.CV"], "Image Generation"),
    ("2404.06023", "Fast Image Generation with Few Steps", ["cs.CV"], "Image Generation"),
    # a paper of both cs.CL and cs.CV, found by the LLM and the Diffusion queries: drafted once
    ("2404.06024", "Large Language Models Guide Diffusion Model Editing", ["cs.CL", "cs.CV"],
     "LLM"),
    # off topic: no configured category, or no keyword
    ("2404.06025", "Quantum Error Correction with Surface Codes", ["quant-ph"], None),
    ("2404.06026", "A Study of Semantic Segmentation Benchmarks", ["cs.CV"], None),
    # excluded by keyword
    ("2404.06027", "A Survey of Large Language Models for Code", ["cs.CL"], None),
    ("2404.06028", "Diffusion Models: A Survey", ["cs.CV"], None),
]
# submitted this week and summarized on its own before the weekly run; the run sees its v2
# and must not draft it again
KNOWN = ("2404.05000", "An Earlier LLM Paper", ["cs.CL"], "LLM")
# submitted after the week: never part of it
LATE = ("2404.09999", "A Late Large Language Model Paper", ["cs.CL"], "LLM")


def abstract_for(title: str) -> str:
    return (f"We present {title}. Our method improves the main benchmark by 12.5% over the "
            "strongest baseline while using 3x less compute.")


def week_papers() -> list[FakePaper]:
    papers = []
    for number, (paper_id, title, categories, _) in enumerate(WEEK):
        papers.append(FakePaper(paper_id, title=title, abstract=abstract_for(title),
                                categories=categories,
                                published=WEEK_START + timedelta(hours=5 * number)))
    return papers


def known_paper(version: int) -> FakePaper:
    paper_id, title, categories, _ = KNOWN
    return FakePaper(paper_id, version=version, title=title, abstract=abstract_for(title),
                     categories=categories, published=WEEK_START,
                     updated=WEEK_START + timedelta(days=version))


def late_paper() -> FakePaper:
    paper_id, title, categories, _ = LATE
    return FakePaper(paper_id, title=title, abstract=abstract_for(title), categories=categories,
                     published=WEEK_START + timedelta(days=8))


def expected_ids() -> dict[str, str]:
    """Every paper the week's run must draft, with its section."""
    return {paper_id: section for paper_id, _, _, section in WEEK if section}


METRIC = "Improves the main benchmark by 12.5% with 3x less compute."


def summary_for(title: str) -> dict[str, Any]:
    return {
        "keypoints": ["Main idea", "Key component", "Benchmark gain"],
        "objective": f"The paper presents {title}, a method for generating long documents.",
        "method": ["Encodes the input with attention.", "Decodes a summary with attention."],
        "metric": METRIC,
        "results": None,
        "limitation": None,
    }


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """The fake model: the same entry for every paper, with its title (the section is the
    selection's, never the model's)."""
    preflight = preflight_answer(request)
    if preflight is not None:
        return preflight
    text = "\n".join(str(m.get("content")) for m in request["messages"])
    title = re.search(r"^Title: (.*)$", text, re.M)
    return summary_for(title[1] if title else "a paper")


def expected_entry(paper_id: str, title: str, section: str, level: int = 4) -> str:
    return (
        f"{'#' * level} {title}\n"
        "- `Keypoints:` Main idea; Key component; Benchmark gain;\n"
        f"- `Objective:` The paper presents {title}, a method for generating long documents. "
        f"[arXiv](https://arxiv.org/abs/{paper_id})\n"
        "-   <details>\n"
        "    <summary>Details</summary>\n"
        "\n"
        "    - `Method:`\n"
        "        - Encodes the input with attention.\n"
        "        - Decodes a summary with attention.\n"
        "    - `Metric:` Improves the main benchmark by 12.5% with 3x less compute.\n"
        "    </details>\n"
    )
