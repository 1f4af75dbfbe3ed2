"""Use cases: one function per thing a user asks of sons. Entry points call them and render."""
