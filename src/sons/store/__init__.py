"""The store: SQLAlchemy tables, Alembic migrations, repositories, a unit of work and the journal.

Adapters only: the domain never imports this package. Entry points open a `UnitOfWork`, call
its repositories (which map rows to `sons.domain.orders` values) and let it commit or roll back.
"""
