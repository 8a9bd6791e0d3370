"""Drafting: the structured postmortem from the analysis, and the writers that phrase it."""
