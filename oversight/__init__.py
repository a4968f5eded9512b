"""oversight: scalable-oversight experiments (critique, debate, recursive summarization)."""

__version__ = "0.1.0"
