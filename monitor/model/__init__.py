"""The 虚假宣传 / exaggeration classifier: its tokeniser, labelled corpus, training and safe
loading. Never reads the store or the network.
"""
