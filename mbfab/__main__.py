"""``python -m mbfab``."""

from mbfab.cli import main

if __name__ == "__main__":  # worker processes (spawned) import this module too
    main()
