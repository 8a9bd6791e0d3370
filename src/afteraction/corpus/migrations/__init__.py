"""Alembic migrations of the corpus, shipped as package data and run from code (see db.py)."""
