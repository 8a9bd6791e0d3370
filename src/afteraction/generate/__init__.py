"""Seeded incident generator: realistic incidents with ground truth, rendered as real raw payloads.

Used by ``afteraction demo``, the tests and the benchmarks. A scenario is a world of events and
metric series (the same models the parsers produce) plus the truth; ``encode`` turns the world
into the raw responses each real API would have returned, so a generated bundle exercises the
exact parsers a live run does.
"""
