"""The web UI (/ui): pages, their templates and static files. Translates forms to library calls;
no SQL and no rules here.
"""
