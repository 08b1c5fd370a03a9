"""Text preparation for matching: normalisation with exact offsets, spellings and pinyin,
word boundaries, utterances and sentences, spoken prices. Pure: no files beyond its data, no store.
"""
