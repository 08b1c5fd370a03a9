"""Inputs that become timed text: scripts (text, Markdown, .docx), caption files and
lines, and recordings decoded to samples. Reads input; never checks it or stores results.
"""
