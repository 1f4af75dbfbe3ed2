"""Reading imported files into domain values, with every problem placed (file, line, column).

Adapters only: they read files and return values plus an `ImportReport`; they never touch the
database. A service stores what they return, all or nothing.
"""
