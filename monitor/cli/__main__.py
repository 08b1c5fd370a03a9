"""`python -m monitor.cli`: the `qinglang` command."""

from monitor.cli.main import main

main()
