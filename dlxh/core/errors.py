"""Errors a person can act on. The CLI prints their message and exits with their code."""

from __future__ import annotations


class DlxhError(Exception):
    """Base error: ``str(err)`` says what is wrong and what to do about it."""

    exit_code = 1


class ConfigError(DlxhError):
    exit_code = 2


class DatabaseUnavailable(DlxhError):
    exit_code = 3


class InputError(DlxhError):
    """Bad input that cannot even be quarantined (e.g. a path that does not exist)."""

    exit_code = 4
