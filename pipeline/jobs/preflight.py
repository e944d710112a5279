"""A model preflight: one small synthetic paper, summarized and checked like a real one.

A model that cannot follow the summary format, or whose draft of an easy paper cites what the
paper does not say (quotes, numbers) or strays from the language, would waste a whole week's
run; `weekly` runs this first and stops with exit code 2. An endpoint that cannot be reached
(or keeps answering 429/5xx) is reported as unavailable instead, with exit code 4. Style
flags (a long keypoint, a copied sentence) are reported, as they are on every draft, without
stopping the run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..config import Config
from ..draft.chat import ChatModel
from ..draft.summarize import summarize
from ..errors import (
    ConfigError,
    EndpointUnavailableError,
    ModelPreflightError,
    SummarizeError,
)
from ..models import Draft, Extract, Section
from .drafting import request_for

log = logging.getLogger(__name__)

TITLE = "Sparse Lantern Attention for Long Documents"
_SECTIONS = [
    ("abstract", "Abstract",
     "We introduce Sparse Lantern Attention (SLA), an attention mechanism in which each token "
     "attends to a small set of learned lantern tokens instead of the whole sequence. SLA "
     "reduces the cost of attention from quadratic to linear in the sequence length. On the "
     "LongBench benchmark, a 1.3B-parameter model with SLA scores 41.2 against 41.0 for dense "
     "attention, and runs 3.1 times faster on 32k-token inputs."),
    ("introduction", "1 Introduction",
     "Language models that read long documents are expensive, because in standard attention "
     "every token attends to every other token. Earlier sparse methods fix the pattern of "
     "attention by hand and lose accuracy on long-range questions."),
    ("method", "2 Sparse Lantern Attention",
     "Each token attends to 64 learned lantern tokens that summarize the whole sequence. The "
     "lanterns are updated with a linear-time scan after every layer, so no token ever attends "
     "to the full sequence."),
    ("experiments", "3 Experiments",
     "We train 1.3B-parameter models on 100B tokens of web text. With SLA the model scores "
     "41.2 on LongBench, while dense attention scores 41.0. SLA runs 3.1 times faster on "
     "32k-token inputs and uses 45% less memory."),
    ("conclusion", "4 Conclusion",
     "Sparse Lantern Attention makes long-document language models cheaper without losing "
     "accuracy. A limitation is that the number of lantern tokens must be chosen by hand."),
]


def synthetic_paper() -> Extract:
    sections = tuple(Section(kind, heading, text, 1) for kind, heading, text in _SECTIONS)
    page = "\n".join([TITLE, *(f"{heading}\n{text}" for _, heading, text in _SECTIONS)])
    return Extract(source="preflight", pages=(page,), sections=sections, title=TITLE)


@dataclass(frozen=True)
class Preflight:
    """A passed preflight: how long it took and the draft it produced."""

    seconds: float
    draft: Draft

    @property
    def warnings(self) -> list[str]:
        """Style flags of the test draft: worth knowing, not worth stopping for."""
        return list(self.draft.extras.get("checks", {}).get("flags", []))


def preflight(config: Config, model: ChatModel, *, second_chance: bool = True) -> Preflight:
    """Raise ModelPreflightError unless the model drafts the synthetic paper cleanly; an
    endpoint that cannot be reached (EndpointUnavailableError, exit 4) or refuses the key
    (ConfigError) is raised as it is."""
    started = time.monotonic()
    where = f"{model.settings.name} at {model.endpoint}"
    request = request_for(config, model, TITLE, synthetic_paper(), None, None)
    try:
        draft = summarize(model, request)
    except ConfigError:
        raise
    except EndpointUnavailableError as exc:  # a transport failure says nothing of the model
        raise EndpointUnavailableError(f"model preflight: the endpoint is unavailable: "
                                       f"{exc.message}") from exc
    except SummarizeError as exc:
        raise ModelPreflightError(f"model preflight failed: {where} cannot follow the summary "
                                  f"format: {exc.message}") from exc
    failed = draft.extras.get("checks", {}).get("trust", [])
    if failed and second_chance:
        # A sampling model slips now and then (a stray word of Chinese); one slip is no
        # verdict on the model, two in a row are.
        log.info("model preflight: the test draft fails (%s); trying once more", failed[0])
        return preflight(config, model, second_chance=False)
    if failed:
        raise ModelPreflightError(f"model preflight failed: {where} drafted a test paper that "
                                  f"fails the checks: {'; '.join(failed)}")
    seconds = time.monotonic() - started
    log.info("model preflight passed: %s in %.1f s", where, seconds)
    return Preflight(seconds, draft)
