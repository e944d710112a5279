"""Find the week's papers: the arXiv export-API client, the submission window, the configured
topics, and the shortlist of candidates to draft.

Entry points: `arxiv.ArxivSource` (lookups, searches, PDF downloads), `window.Window` with
`parse_week` / `last_complete_week`, `shortlist.plan_week`.
"""
