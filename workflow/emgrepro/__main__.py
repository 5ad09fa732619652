import sys

from emgrepro.warm import run_remote

# In a workflow run the command runs in a fork of the warm server (imports done); without
# one it runs here, as a fresh process. Either way `--benchmark FILE` first makes the job
# record its own figures (emgrepro/benchmark.py).
code = run_remote(sys.argv[1:])
if code is None:
    from emgrepro.benchmark import run_measured
    from emgrepro.cli import main

    code = run_measured(main, sys.argv[1:])
sys.exit(code)
