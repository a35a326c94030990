"""Instrumentation of existing apps: :mod:`.flask`, :mod:`.fastapi`, :mod:`.auto` (zero code).

This package imports no web framework; each module imports its own.
"""
