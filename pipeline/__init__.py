"""paperlist: drafts a weekly arXiv paper digest for editors to review and publish."""

__version__ = "0.1.0"
CONFIG_ENV = "PAPERLIST_CONFIG"  # here, not in config.py, so `--help` needs no pydantic
