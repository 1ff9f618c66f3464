"""Privacy mechanisms: retention sweeper (more arrive with the privacy issue)."""
