"""Models of the accounts app: filled by its own issue."""
