"""Refreshing what aged: the site's posts that have gone stale, each with its reasons, and a draft that rewrites
only the parts that carry one.

`reasons.py` finds why a post is stale (a past year, a cited source dead, moved or changed, a figure to confirm,
an internal link that no longer resolves, age on a keyword the calendar still uses); `sources.py` checks the
cited sources against what they said when they were cited; `rewrite.py` rewrites the parts with a reason and
keeps every other byte; `draft.py` puts the draft in out/ with its record and history, and holds what publish
and the review app ask of a refresh; `run.py` drives `genpost refresh` and `--auto`.
"""
