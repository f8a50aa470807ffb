"""`python -m zsync_tui` runs the same command line as `zsync`."""

from zsync_tui.cli import main

if __name__ == "__main__":
    main()
