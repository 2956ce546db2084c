"""Answer and briefing generators behind one small interface (see :mod:`qa.generators.base`)."""
