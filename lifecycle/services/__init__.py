"""Lifecycle writes, by topic: notices (L3), retention (P5, L1), suspension (L2), exports."""
