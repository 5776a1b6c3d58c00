"""What the site's search performance says: Search Console data read, matched to the posts, and what
follows from it: reasons to refresh, links to strengthen, topics to write, a report."""
