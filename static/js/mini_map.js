// A small, still map on a site or organisation page: the sites as dots over their regions'
// boundaries. The points come in the page's JSON; the boundaries, kilobytes each, are fetched
// (and cached) apart. The page lists the same sites as text.
(function () {
  "use strict";
  var element = document.getElementById("mini-map");
  if (!element || !window.L) { return; }
  var data = JSON.parse(document.getElementById(element.dataset.mapData).textContent);

  var map = L.map(element, {
    zoomControl: false, dragging: false, keyboard: false,
    scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, touchZoom: false
  });
  // Every map credits what it draws: the tile layer's own attribution when there is one.
  map.attributionControl.setPrefix(false);
  if (data.tiles) {
    L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: data.tiles.max_zoom }).addTo(map);
  } else {
    element.classList.add("site-map--shipped");
  }
  map.attributionControl.addAttribution("Boundaries: ONS, OGL v3");
  var regions = L.geoJSON(null, {
    style: { color: "#505a5f", weight: 1, fillColor: "#dfe9f3", fillOpacity: 0.8 }, interactive: false
  });
  var points = data.points.map(function (point) { return L.latLng(point.latitude, point.longitude); });
  // The view comes first: Leaflet cannot place a layer on a map without one. One site alone is
  // framed by its region once the boundary has come.
  if (points.length > 1) {
    map.fitBounds(L.latLngBounds(points).pad(0.25), { maxZoom: 10 });
  } else {
    map.setView(points[0], 8);
  }
  regions.addTo(map);
  data.points.forEach(function (point, index) {
    L.circleMarker(points[index], {
      radius: point.current ? 9 : 6, weight: 2, color: "#0b0c0c",
      fillColor: point.current ? "#ffdd00" : "#1d3c6e", fillOpacity: 1, interactive: false
    }).addTo(map);
  });

  var pending = data.region_urls.map(function (url) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (feature) { if (feature) { regions.addData(feature); } })
      .catch(function () { /* the dots and the list beside them stand without the boundary */ });
  });
  Promise.all(pending).then(function () {
    // Boundaries go under the dots, whatever order they came in.
    regions.bringToBack();
    if (points.length === 1 && regions.getLayers().length) { map.fitBounds(regions.getBounds()); }
    element.dataset.regionsDrawn = String(regions.getLayers().length);
  });
})();
