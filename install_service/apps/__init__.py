"""The apps (connectors) an end user can connect, as the ISV API lists them."""
