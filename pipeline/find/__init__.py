"""Find the week's papers: the arXiv export-API client, the submission window, the configured
topics, Hugging Face Daily Papers, and the ranking of the candidates to draft.

Entry points: `arxiv.ArxivSource` (lookups, searches, PDF downloads), `window.Window` with
`parse_week` / `last_complete_week`, `shortlist.gather` and `shortlist.shortlist` around
`ranking.rank` (over the signals in `taste.py`, `community.py` and `topics.py`),
`sections.paper_section`, `daily_papers.DailyPapers`.
"""
