"""Database: models, engine configuration and Alembic migrations."""
