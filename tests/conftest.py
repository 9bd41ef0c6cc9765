import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))      # shared test helpers import as modules

# Under pytest-xdist (make test), each process gets its share of the cores for the frameworks'
# thread pools: PyTorch's and TensorFlow's default of one thread per core in every process
# oversubscribes the machine, and their spinning threads then slow the suite many times over.
# Set before any framework is imported; subprocesses (the examples, the tutorials) inherit it.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _threads = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(_var, _threads)
