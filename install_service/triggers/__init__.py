"""App triggers: webhook subscriptions in end users' apps, and their callbacks."""
