import sys

from emgrepro.cli import main

sys.exit(main())
