from .qformat import QFormat, qformat
from . import fixed
