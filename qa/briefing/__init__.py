"""Briefings: a title and 3–8 cited bullets over chosen articles or a topic (see :mod:`qa.briefing.engine`)."""

from qa.briefing.engine import BriefingEngine, bullet_budget

__all__ = ["BriefingEngine", "bullet_budget"]
