"""Publish approved drafts into the hand-written monthly lists and the README's "Latest Update"
block, keeping every hand-written byte, writing atomically.

Entry points: `writer.plan_publish`, `writer.plan_diff`, `writer.apply_plan`,
`months.by_month`, `files.remove_stale_temps`.
"""
