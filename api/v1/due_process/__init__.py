"""Due process over HTTP: violations found outside the queue, appeals with evidence,
credit repair applications, script pre-review, each decided through monitor.review.decisions.
"""
