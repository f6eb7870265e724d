"""Independent yardsticks that the product is measured against (test code, not product)."""
