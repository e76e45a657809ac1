"""Liveness (``/health``), readiness (``/ready``) and the server's start-up state."""
