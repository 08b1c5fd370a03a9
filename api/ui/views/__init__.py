"""What pages draw from data: inline SVG charts, grade colours, highlighted text, the queue's
filters as links and forms. No requests handled here.
"""
