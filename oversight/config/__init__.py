"""Experiment files and task loading: YAML in, validated configs out."""
