"""`python -m pipeline` runs the paperlist command."""

from .cli.main import main

main()
