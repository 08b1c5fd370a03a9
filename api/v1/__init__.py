"""The JSON API under /v1, one module of routes per resource. Routes translate HTTP to library
calls and library errors to answers; no SQL and no rules here.
"""
