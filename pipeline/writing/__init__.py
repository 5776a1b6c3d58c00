"""Writing a post: plan, draft, assemble, edit, store — one stage a module."""
