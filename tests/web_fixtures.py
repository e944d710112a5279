"""A week in the state database for the review page (tests/web/): four candidates found by a
weekly run, two drafted through the real drafting job against the fake arXiv and fake model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakes import FakeArxiv, FakeChat, FakePaper
from weekly_fixtures import WEEK_START, abstract_for, answer

from pipeline.config import Config, load_config
from pipeline.jobs.requested import draft_requested
from pipeline.models import Paper, Reason
from pipeline.store import Store
from pipeline.web.server import Server
from pipeline.web.tasks import DraftTasks

HOSTILE = "</details><script>window.pwned = 1</script> Evil <b>Bold</b> `Ticks`"
# (id, title, section), best score first
CANDIDATES = [
    ("2404.07001", "Long Context Language Models Revisited", "LLM"),
    ("2404.07002", "Guided Diffusion Models in a Limited Interval", "Diffusion"),
    ("2404.07003", HOSTILE, "LLM"),
    ("2404.07004", "A Language Model Nobody Wants", "LLM"),
]
REASONS = {  # what a weekly run's selection records with each candidate
    "2404.07001": (Reason("taste", 0.8, 'like "LLoCO: Learning Long Contexts Offline"'),
                   Reason("community", 0.5, "Daily Papers 2024-04-09, 35 upvotes")),
    "2404.07002": (Reason("taste", 0.62, 'like "Analysis of Classifier-Free Guidance"'),),
    "2404.07003": (Reason("community", 0.5, "Daily Papers 2024-04-10"),),
    "2404.07004": (Reason("taste", -0.2, 'like rejected "A Survey of LLMs"'),),
}
WINDOW = ("2024-04-08", "2024-04-14")


@dataclass
class WebWeek:
    config_path: Path
    config: Config
    output: Path
    arxiv: FakeArxiv
    chat: FakeChat

    def store(self) -> Store:
        return Store(self.config.path(self.config.output.database))


@pytest.fixture
def web_week(make_config: Callable[..., Path], arxiv_api: FakeArxiv, chat_api: FakeChat,
             tmp_path: Path) -> WebWeek:
    """Four candidates a weekly run ranked below its cap; 1 and 3 drafted since (3 has a
    hostile title), 2 and 4 not."""
    chat_api.default = answer
    path = make_config()
    config = load_config(path)
    with Store(config.path(config.output.database)) as store:
        run_id = store.start_run("weekly", WINDOW)
        for number, (paper_id, title, section) in enumerate(CANDIDATES):
            fake = arxiv_api.add(FakePaper(paper_id, title=title, abstract=abstract_for(title),
                                           categories=["cs.CL", "cs.CV"],
                                           published=WEEK_START.replace(hour=10 + number)))
            store.add_paper(Paper(id=paper_id, version=1, title=title, abstract=fake.abstract,
                                  authors=tuple(fake.authors), categories=tuple(fake.categories),
                                  published=fake.published),
                            section=section, run_id=run_id, status="candidate",
                            reasons=REASONS[paper_id])
        store.finish_run(run_id, "finished", found=len(CANDIDATES))
    draft_requested(config, [CANDIDATES[0][0], CANDIDATES[2][0]])
    return WebWeek(path, config, tmp_path / "output", arxiv_api, chat_api)


@pytest.fixture
def serving(web_week: WebWeek) -> Iterator[Server]:
    """The review page on 127.0.0.1 at a free port, drafting in a background thread."""
    server = Server(web_week.config, "127.0.0.1", 0, tasks=DraftTasks(web_week.config)).start()
    yield server
    server.shutdown()
