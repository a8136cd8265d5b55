"""Data sets, split rules and the download/mirror mechanism."""
