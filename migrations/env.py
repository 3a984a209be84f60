"""Alembic environment for the hpsearch store.

hpsearch passes its own engine in ``config.attributes["engine"]``; the ``alembic``
command line (run from the project root with ``alembic.ini``) uses
``sqlalchemy.url`` or ``HPSEARCH_DB`` instead.
"""

from alembic import context

from hpsearch.store.engine import database_url, make_engine
from hpsearch.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("hpsearch migrations run online only")
run_migrations_online()
