"""Evaluation suite: datasets, metrics and runners behind ``qa eval``."""
