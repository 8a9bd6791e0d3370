"""Analysis: evidence in, findings out. Pure functions — no I/O, no clock reads."""
