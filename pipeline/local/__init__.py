"""The built-in model: llama.cpp's OpenAI-compatible server (xllamacpp) started on loopback,
its runner process, and the GGUF file joined from PyPI slices.

Entry points: `server.local_server`, `server.wants_local`, `files.install_default_model`,
`files.model_status`.
"""
