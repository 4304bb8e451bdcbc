"""Cross-cutting pieces: settings, errors, accounts and the command line."""
