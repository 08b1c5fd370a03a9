"""Live streams: fetching a room's stream safely (address policy, guarded HTTP, URL policy),
reading it as audio blocks, and the rooms that feed it to the checker. No HTTP routes here.
"""
