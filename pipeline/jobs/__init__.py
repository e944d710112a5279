"""What runs the stages in order: the weekly run, the one-paper path that `summarize` and the
weekly run share, the model preflight, and the run lock that keeps one run per output folder;
for the command line and the review page alike, drafts an editor asks for, an editor's edit of
a draft's fields, and publishing.

Entry points: `weekly.run_week`, `drafting.summarize_arxiv`, `drafting.summarize_pdf`,
`drafting.open_model`, `preflight.preflight`, `runlock.run_lock`, `runlock.lock_holder`,
`requested.draft_requested`, `editing.save_fields`, `publishing.plan_approved`,
`publishing.publish_as_shown`.
"""
