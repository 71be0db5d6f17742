"""`python -m xlsdun`: the same command as `xlsdun`, for when the script is not on PATH."""

from .cli import main

main()
