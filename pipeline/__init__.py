"""genpost: Japanese psychology-marketing blog posts for a Jekyll site."""

__version__ = "0.1.0"
