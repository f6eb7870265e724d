"""Domain and spatial core of griddispatch. No Dash here (a test enforces it)."""
