"""Helpers shared by the integration and e2e tests: databases, receivers, servers."""
