import sys

from dataimport.bench.run import main

sys.exit(main())
