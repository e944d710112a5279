"""What runs the stages in order: the weekly run, the one-paper path that `summarize` and the
weekly run share, the model preflight, and the run lock that keeps one run per output folder.

Entry points: `weekly.run_week`, `drafting.summarize_arxiv`, `drafting.summarize_pdf`,
`drafting.open_model`, `preflight.preflight`, `runlock.run_lock`.
"""
