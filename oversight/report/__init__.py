"""Metrics files, tables, figures and side-by-side reports, from run folders alone."""
