"""Backups of a SQLite deployment: ``install-service backup PATH`` and ``restore PATH``.

A backup is a folder: ``database.sqlite`` (our database), ``dbos.sqlite`` (DBOS's system
database: unfinished runs), ``keys/`` (the development keys found under ``var/keys``) and
``manifest.json`` (written last; see ``backups.manifest``). PostgreSQL is backed up with
``pg_dump`` (README, "Backups").
"""
