"""The ISV dashboard under ``/dashboard``: sign-in, sessions, CSRF, pages."""
