from .export import export_c
