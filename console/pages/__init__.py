"""The pages: the shell (top bar, map, page registry), shared components, and one module or
package per page, each with ``layout(...)`` and ``register(app, settings)``."""
