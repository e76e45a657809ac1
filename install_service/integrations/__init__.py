"""ISV and end-user API: the integrations a user can install, with their state."""
