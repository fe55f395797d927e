"""Spiders: discovery only (which pages, in what order, when to stop); extraction lives in crawler/sites/."""
