"""The command line's subcommands, one module per group; `cli.py` assembles them."""
