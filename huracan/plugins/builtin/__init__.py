"""The built-in plugins: ordinary plugins registered through the same hooks a third party uses.

:data:`huracan.plugins.manager.DEFAULT_PLUGINS` lists their modules; each module is
registered with ``pm.register`` exactly like an entry-point plugin, so disabling one
(``plugins.disabled`` in huracan.yaml) or overriding it works the same way.
"""
