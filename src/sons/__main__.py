"""`python -m sons` runs the `sons` command (used by the end-to-end tests)."""

from sons.entrypoints.cli import main

if __name__ == "__main__":
    main()
