"""ISV staff accounts: who may sign in to the dashboard, and how passwords are checked."""
