"""The service's own background work: the media job worker, the shared speech model, periodic
reloads and deliveries. Calls the library; answers no requests.
"""
