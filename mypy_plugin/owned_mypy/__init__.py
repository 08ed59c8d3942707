"""The mypy plugin of `owned`: precise handle types and use-after-move / use-after-drop checks.

Enable it with ``plugins = ["owned_mypy"]`` under ``[tool.mypy]`` (or ``plugins = owned_mypy``
in ``mypy.ini``). The plugin never imports the runtime package ``owned``.
"""

from mypy.plugin import Plugin

from ._plugin import OwnedPlugin

__all__ = ["plugin"]


def plugin(version: str) -> type[Plugin]:
    """Return the plugin class that mypy instantiates (the entry point named in the config)."""
    del version  # one class serves the whole supported range; see _compat for the differences
    return OwnedPlugin
