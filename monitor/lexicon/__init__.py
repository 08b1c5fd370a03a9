"""The banned-claims lexicon as data: entries and categories (validated YAML), profiles,
rewording rules, product laws, and the matcher over their forms. Pure: no store, no I/O at check time.
"""
