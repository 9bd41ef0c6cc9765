from .host import build_host, run_host
