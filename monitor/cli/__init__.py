"""The `qinglang` command: a skin at the edge. Only the console script imports this package;
nothing in monitor or api imports it.
"""
