"""The SQLite store and every query on it: migrations, the registry, streams, segments and
flags, jobs, lists, API keys, sessions and the audit log. The only package that runs SQL.
"""
