/* Map styling and symbols for griddispatch (dash-leaflet functional props).
 * Each function receives the leaflet arguments and, last, the component context whose
 * `hideout` carries the colours. User text never goes in as HTML: tooltips are DOM text. */
window.griddispatch = (function () {
  function ctxHideout(ctx) { return (ctx && ctx.hideout) || {}; }

  function textNode(lines) {
    var div = document.createElement("div");
    lines.forEach(function (line, i) {
      if (line === null || line === undefined || line === "") { return; }
      var el = document.createElement(i === 0 ? "b" : "div");
      el.textContent = String(line);
      div.appendChild(el);
    });
    return div;
  }

  // What has been drawn, per layer id: used by the browser tests and the big screen.
  var drawn = {}, gridLayers = {};

  return {
    drawn: drawn,
    gridLayers: gridLayers,
    gridStyle: function (feature, ctx) {
      var h = ctxHideout(ctx), p = feature.properties;
      var colour = (h.colours || {})[p.type] || "#888";
      var selected = h.selected !== null && h.selected === p.id;
      return {
        color: selected ? "#111" : "#35507a", weight: selected ? 3 : 0.6, opacity: 0.9,
        fillColor: colour, fillOpacity: selected ? 0.45 : (p.type === "residential" ? 0.12 : 0.35)
      };
    },
    boundaryStyle: function (feature, ctx) {
      var h = ctxHideout(ctx);
      return { color: h.colour || "#333", weight: h.weight || 2, fill: false, dashArray: "6 4" };
    },
    roadStyle: function (feature, ctx) {
      var s = (ctxHideout(ctx).styles || {})[feature.properties["class"]] || ["#ccc", 1];
      return { color: feature.properties.bridge ? "#7a4b1e" : s[0], weight: s[1] + (feature.properties.bridge ? 1.5 : 0), opacity: 1 };
    },
    waterStyle: function (feature, ctx) {
      var c = ctxHideout(ctx).colour || "#9cc9e8";
      return { color: c, weight: 1, fillColor: c, fillOpacity: 0.9 };
    },
    platformPoint: function (feature, latlng, ctx) {
      var c = ctxHideout(ctx).colour || "#111c4e";
      var icon = L.divIcon({ className: "gd-platform", html: "", iconSize: [16, 16] });
      var m = L.marker(latlng, { icon: icon, keyboard: false });
      m.options.gdColour = c;
      return m;
    },
    unitPoint: function (feature, latlng, ctx) {
      var h = ctxHideout(ctx), p = feature.properties;
      var colour = (h.colours || {})[p.type] || "#555";
      var busy = (h.busy || []).indexOf(p.status) >= 0;
      return L.circleMarker(latlng, {
        radius: p.type === "grid_worker" ? 3.5 : 5, color: busy ? "#000" : "#fff",
        weight: busy ? 2 : 1, fillColor: colour, fillOpacity: p.status === "off_duty" ? 0.35 : 0.95
      });
    },
    incidentPoint: function (feature, latlng, ctx) {
      var h = ctxHideout(ctx), p = feature.properties;
      var colour = (h.colours || {})[p.priority] || "#1e88e5";
      return L.circleMarker(latlng, {
        radius: p.priority === "red" ? 8 : 6.5, color: "#fff", weight: 1.5,
        fillColor: colour, fillOpacity: 0.95, className: p.overdue ? "gd-overdue" : ""
      });
    },
    clusterPoint: function (feature, latlng, index, ctx) {
      var n = feature.properties.point_count;
      var size = n < 50 ? 26 : n < 500 ? 34 : 42;
      var icon = L.divIcon({
        html: "<div><span>" + Number(n) + "</span></div>", className: "gd-cluster",
        iconSize: L.point(size, size)
      });
      return L.marker(latlng, { icon: icon });
    },
    tooltip: function (feature, layer, ctx) {
      var p = feature.properties || {};
      if (p.cluster) { return; }
      var id = (ctx && ctx.id) || "?";
      drawn[id] = (drawn[id] || 0) + 1;
      if (id === "layer-grids") { gridLayers[p.code] = layer; }
      var lines;
      if (p.call_sign !== undefined) {
        lines = [p.call_sign, p.type + " · " + p.status];
      } else if (p.number !== undefined) {
        var lang = document.documentElement.lang === "en" ? "en" : "zh";
        lines = [lang === "en" ? p.category_en : p.category_zh, p.number, p.reported];
      } else if (p.members !== undefined) {
        lines = [p.name, p.code];
      } else {
        lines = [p.name, p.code];
      }
      layer.bindTooltip(textNode(lines), { sticky: true, direction: "top" });
    }
  };
})();
