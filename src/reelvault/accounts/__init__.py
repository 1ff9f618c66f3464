"""Accounts: owners (pseudonyms), API keys and browser sessions."""
