"""Corpus analytics, one module per question: each runs SQL aggregates, then a pure analysis."""

from afteraction.corpus.analytics.scope import Scope

__all__ = ["Scope"]
