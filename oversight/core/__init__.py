"""Foundations every layer uses: errors, crash-safe files, safe text and paths, key guard."""
