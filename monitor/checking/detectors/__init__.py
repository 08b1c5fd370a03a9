"""The detectors the checker runs by name (lexicon, classifier, facts) and what they
need to decide a hit is real (negation, reported speech, evasion, claim evidence). Each returns
hits; none stores or scores.
"""
