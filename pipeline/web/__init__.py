"""The review page in the browser (`paperlist serve`): the week's shortlist, drafts beside their
evidence, edits, approval and publishing, over the same state database, files and run lock as
the command line. Flask with server-rendered, autoescaped templates and plain forms.

Entry points: `app.create_app`, `server.serve`, `security.check_bind`.
"""
