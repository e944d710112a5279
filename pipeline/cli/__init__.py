"""The `paperlist` command: click commands that parse arguments, call a job or a stage, and
print. Errors are mapped to one `Error:` line and an exit code here, once.

Entry points: `main.main` (the console script) and `main.cli` (the click group, for tests).
"""
