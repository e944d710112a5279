"""Draft an entry: the chat-completions client, the requests per field (`passes`), the
evidence, the checks and the editor's rubric, the answer schemas, and the prompt and entry
templates.

Entry points: `chat.ChatModel`, `summarize.summarize` (a `SummaryRequest` in, a `Draft` out),
`entry.render_entry`, `templates.render`.
"""
