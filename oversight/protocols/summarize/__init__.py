"""Recursive summarization of long texts by task decomposition (Wu et al. 2021; Chang et al. 2024)."""
