"""Models of the contracts app: filled by its own issue."""
