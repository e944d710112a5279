"""`python -m pipeline` runs the paperlist command."""

from .cli import main

main()
