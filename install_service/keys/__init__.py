"""Credential-key rotation: data keys wrapped by the root key, loaded by every process,
and the ``install-service keys`` commands that add, report and retire them."""
