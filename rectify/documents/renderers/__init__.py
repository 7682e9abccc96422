"""Pure renderers: data in, file bytes out (no ORM)."""
