"""End users' credentials for apps: the credentials API and how credentials are stored."""
