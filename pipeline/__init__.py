"""genpost: Japanese psychology-marketing blog posts for a Jekyll site."""

__version__ = "0.2.0"
