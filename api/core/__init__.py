"""The HTTP application's core: the app and its start-up, who is calling (auth), the one error
shape, size and rate limits, uploads, security headers, the server. No routes of a resource here.
"""
