"""Draft an entry: the chat-completions client, the passes over one paper, the cited evidence,
the checks, the answer schemas, and the prompt and entry templates.

Entry points: `chat.ChatModel`, `summarize.summarize` (a `SummaryRequest` in, a `Draft` out),
`entry.render_entry`, `templates.render`.
"""
