"""The SQLite store: the connection, its transactions and migrations, and the queries on the
registry, streams, segments and flags, jobs, lists, API keys, UI sessions and the audit log.
Stages with tables of their own (review, credit, notify, live rooms) write them inside its
`transaction`; the skins (api/, monitor/cli/) never run SQL (tests/test_no_sql_in_skins.py).
It decides no policy and imports nothing that sends or fetches.
"""
