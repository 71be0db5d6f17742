"""xlsdun's built-in message templates (en/, he/) and owner digest templates (digest/).

This folder is installed as the package `xlsdun.templates` (pyproject.toml maps it), so a
wheel carries the files and `importlib.resources` finds them in an editable install and an
installed wheel alike (`xlsdun.builtin_templates`). No code lives here.
"""
