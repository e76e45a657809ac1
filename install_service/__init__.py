"""install-service: a self-hostable embedded-integration install service speaking the Alloy Embedded API."""
