"""The site genpost writes for: its posts, URLs, format and git; links into it; publishing to it."""
