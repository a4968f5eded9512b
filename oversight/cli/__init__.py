"""The `oversight` command line."""
