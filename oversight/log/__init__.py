"""The run folder on disk: its layout, lock, and the transcript and judgment records."""
