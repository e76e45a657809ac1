"""Custom events in: the events an ISV can send, and POST /run/event."""
