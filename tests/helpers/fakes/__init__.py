"""Fakes for the hardening suites: a request-recording scripted model and fake LLM servers."""
