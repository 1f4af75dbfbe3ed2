"""Entry points: the CLI, the API and the web pages. They parse, call a service, render."""
