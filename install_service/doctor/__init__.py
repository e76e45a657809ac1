"""``install-service doctor``: the configuration check (``checks``: pure rules over the
settings and findings; ``services``: what is read from the database and the network)."""
