import sys

from emgrepro.warm import run_remote

# In a workflow run the command runs in a fork of the warm server (imports done); without
# one it runs here, as a fresh process.
code = run_remote(sys.argv[1:])
if code is None:
    from emgrepro.cli import main

    code = main()
sys.exit(code)
