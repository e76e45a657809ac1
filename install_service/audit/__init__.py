"""The audit log: one row per change made in the dashboard."""
