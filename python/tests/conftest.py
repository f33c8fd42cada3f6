import os
import sys

# The studio's Python packages (python/), as the runtime puts them on sys.path.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
