"""Editor review: draft state beside each draft, the review web app, and their CLI twins."""
