"""The one exception type nnom raises for user mistakes."""


class NnomError(ValueError):
    """A clear, user-facing error: names the layer or file and says what to do."""


def layer_error(layer, message: str) -> NnomError:
    if getattr(layer, "name", None) is None:          # checked in its constructor, before it is named
        return NnomError(f"{type(layer).__name__}: {message}")
    return NnomError(f"layer '{layer.name}' ({type(layer).__name__}): {message}")
