"""Where the checkout and the shared data beside it are, for tests in any subfolder."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
