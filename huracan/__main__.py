"""`python -m huracan` is the `huracan` command."""

from huracan.cli import main

main()
