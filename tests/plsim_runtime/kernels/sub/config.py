"""Constants imported by the fixture kernel with `from config import ...`."""

ROWS = 16
COLS = 64
