"""The protocol contract, the Recorder every model call goes through, and prompts."""
