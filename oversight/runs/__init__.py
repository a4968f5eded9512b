"""From an experiment to transcripts on disk: plan, pins, replay memo and the workers."""
