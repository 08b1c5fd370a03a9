"""The check: normalise once, run the registered detectors, score and report. Pure core:
it never opens the store, the network or a model file except through what it is given.
"""
