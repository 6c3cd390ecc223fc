"""Persistence: the store interface, its SQLite backend and token encryption.

``store.py`` is the interface the core depends on and ``records.py`` the records it
hands out; ``sqlite.py`` implements it (``open_store``), helped by ``connection.py``
(the connection and its transactions), ``migrations.py`` (the schema history),
``printer_sql.py``/``job_sql.py`` (their SQL), ``rows.py`` (row mapping) and
``keys.py`` (key check and rotation). ``cipher.py`` encrypts secrets at rest and
``errors.py`` holds the ``StoreError`` tree.
"""
