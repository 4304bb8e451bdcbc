"""Alembic environment: online migrations against the URL set by db.migrate."""

from alembic import context
from sqlalchemy import create_engine, pool

from db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        # Row-level security binds the owner too (0020, FORCE): a migration works on every
        # county's rows, so it says so before it begins.
        connection.exec_driver_sql("SELECT set_config('shuijian.county', 'all', false)")
        connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a server")
run_migrations_online()
