"""Due process on what the checker found: flag decisions, appeals and their evidence,
repairs offered, script pre-review, undo, exports. Decides through the store; never scores credit
itself.
"""
