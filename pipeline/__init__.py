"""paperlist: drafts a weekly arXiv paper digest for editors to review and publish."""

__version__ = "0.1.0"
