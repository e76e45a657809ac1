"""App definitions (``<key>.yaml``) and, for an app with actions, its module ``<key>.py``.

See :mod:`install_service.catalog.app_actions` for what such a module exposes.
"""
