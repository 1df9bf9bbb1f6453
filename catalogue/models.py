"""Models of the catalogue app: filled by its own issue."""
