"""Editor review: the review web app and part regeneration (draft state lives in pipeline.review.drafts)."""
