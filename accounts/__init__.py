"""Accounts: who is signed in (``SignedIn``), their password (Argon2id) and their role."""
