"""Work transport past one machine (issue 15): live rooms and media jobs queued on Redis Streams
with consumer groups, claimed by `qinglang worker` processes under a lease, taken over when a
worker stops heartbeating. Transport only: the SQLite store on the API node stays the truth for
rooms, jobs, segments and flags, and refills the queues from its unfinished work when Redis
loses its data. It never opens the store, runs the checker or transcribes; the Redis client is
passed in.
"""
