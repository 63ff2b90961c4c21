"""Errors a user sees as one clear line (the CLI and the service turn them into exit codes and 4xx)."""


class UserError(Exception):
    """Bad input or an unusable environment, described in one line that names what and where."""
