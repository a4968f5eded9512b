"""Published debate transcripts as run folders (formats listed in `DebateProtocol.importers`)."""
