"""``python -m mbfab``."""

from mbfab.cli import main

main()
