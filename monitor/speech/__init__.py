"""Speech to timed text: the offline faster-whisper model, the transcriber, how far a
transcript can be trusted, and the media job that runs them. Knows nothing of lexicons or HTTP.
"""
