"""Pure builders: rows -> GeoJSON, dash-leaflet components and legends. No database here."""
