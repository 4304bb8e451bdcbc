"""The database base: engine and session factory, the project-local cluster, Alembic
migrations, the ORM models and the query helpers every package reads through.

It imports nothing but ``core`` (settings, clock, errors): every domain package stands on it.
"""
