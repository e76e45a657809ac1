"""Real servers the browser tests talk to: the service itself, host pages, a fake BigCommerce."""
