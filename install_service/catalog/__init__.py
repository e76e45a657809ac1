"""The connector catalogue: which third-party apps an end user can connect, and how."""
