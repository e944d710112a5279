"""Editors' decisions on drafts: approve, reject with a reason, edit, and how a draft is shown.

Entry points: `decisions.approve`, `decisions.reject`, `decisions.save_edit`,
`decisions.describe`.
"""
