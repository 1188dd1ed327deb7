// The map of sites (/map/): region boundaries shaded by how many sites match the filters, and
// the sites in view clustered by the server (/map/clusters.json), with a list of the same sites
// beside the map that pages through every one of them (/map/sites.json). The filter form is the
// directory's; changing it updates the URL (so the view can be shared), the form's counts, the
// regions, the clusters and the list. Where the map looks (center, zoom) is in the URL too.
// Under it all, with no tile server, an orientation layer the project ships: the UK's land and
// coast (a static GeoJSON file) and town and city labels (/map/places.json) thinned for the zoom.
// Leaflet comes from django-leaflet's local static files.
(function () {
  "use strict";
  var element = document.getElementById("site-map");
  if (!element || !window.L) { return; }

  var UK = [[49.8, -8.7], [60.9, 1.8]];
  var SHADES = ["#f3f2f1", "#c6d7ee", "#8fb1dc", "#4f7fbf", "#1d3c6e"];
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var form = document.getElementById("map-filters");
  var countElement = document.getElementById("in-view-count");
  var listElement = document.getElementById("in-view-list");
  var pager = document.getElementById("in-view-pager");
  var previousButton = document.getElementById("in-view-previous");
  var nextButton = document.getElementById("in-view-next");
  var moreElement = document.getElementById("in-view-more");
  var searchAreaButton = document.getElementById("search-area");
  var clearAreaButton = document.getElementById("clear-area");
  var legend = document.getElementById("map-legend");

  var maxZoom = config.tiles ? Math.min(config.tiles.max_zoom || 14, 18) : 14;
  var map = L.map(element, { minZoom: 4, maxZoom: maxZoom, zoomSnap: 1 });
  map.attributionControl.setPrefix(false);
  config.attribution.forEach(function (credit) { map.attributionControl.addAttribution(credit); });
  if (config.tiles) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: maxZoom }).addTo(map);
  } else {
    element.classList.add("site-map--shipped");
  }
  // Panes, bottom to top: land, regions, labels, clusters. Labels never take a click or a tab stop.
  map.createPane("land").style.zIndex = 350;
  map.createPane("labels").style.zIndex = 450;
  map.getPane("labels").style.pointerEvents = "none";
  var landLayer = L.geoJSON(null, {
    pane: "land", interactive: false,
    style: { color: "#5f7f99", weight: 1, fillColor: "#f7f5ef", fillOpacity: 1 }
  }).addTo(map);
  var regionLayer = L.geoJSON(null, { style: regionStyle, onEachFeature: regionTooltip }).addTo(map);
  var labelLayer = L.layerGroup([], { pane: "labels" }).addTo(map);
  var nearLayer = L.layerGroup().addTo(map);
  var clusterLayer = L.layerGroup().addTo(map);
  var regionMax = 0;
  var clusterRequest = null;
  var labelRequest = null;
  var movedByUser = false;
  var drawnNear = null;
  var fitNearOnLoad = false;

  // ---- The filters: read from the form, written to the URL and to the links that keep them.

  function filterParams() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (String(value).trim() !== "") { params.append(key, value); }
    });
    return params;
  }

  function area() {
    var value = filterParams().get("bbox");
    if (!value) { return null; }
    var parts = value.split(",").map(Number);
    return parts.length === 4 && parts.every(isFinite) ? parts : null;
  }

  function viewParams() {
    var centre = map.getCenter();
    return "center=" + centre.lat.toFixed(4) + "," + centre.lng.toFixed(4) + "&zoom=" + map.getZoom();
  }

  function updateUrlAndLinks() {
    var query = filterParams().toString();
    // The view joins the URL once someone has moved the map (or opened it on a shared view).
    var view = viewInUrl ? viewParams() : "";
    var full = [query, view].filter(Boolean).join("&");
    history.replaceState(null, "", window.location.pathname + (full ? "?" + full : ""));
    document.querySelectorAll("a[data-keeps-filters]").forEach(function (link) {
      var prefix = link.dataset.prefix ? link.dataset.prefix + (query ? "&" : "") : "";
      link.search = prefix + query;
    });
  }

  // ---- Orientation: the UK's land and coast, and town labels thinned for the zoom.

  function loadLand() {
    if (config.tiles) { return; }
    fetch(config.outline_url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { landLayer.addData(data); } });
  }

  function label(place) {
    var text = document.createElement("span");
    text.textContent = place.name;
    var holder = document.createElement("div");
    holder.appendChild(text);
    return L.marker([place.latitude, place.longitude], {
      pane: "labels", interactive: false, keyboard: false,
      icon: L.divIcon({ className: "map-label", html: holder.innerHTML, iconSize: null })
    });
  }

  function loadLabels() {
    var bounds = map.getBounds();
    var bbox = [
      Math.max(bounds.getWest(), -180), Math.max(bounds.getSouth(), -90),
      Math.min(bounds.getEast(), 180), Math.min(bounds.getNorth(), 90)
    ].map(function (n) { return n.toFixed(3); }).join(",");
    if (labelRequest) { labelRequest.abort(); }
    labelRequest = new AbortController();
    return fetch(config.places_url + "?bbox=" + bbox + "&zoom=" + map.getZoom(), { signal: labelRequest.signal })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        labelLayer.clearLayers();
        data.places.forEach(function (place) { labelLayer.addLayer(label(place)); });
        element.dataset.labels = data.places.map(function (place) { return place.name; }).join("|");
      })
      .catch(function (error) { if (error.name !== "AbortError") { throw error; } });
  }

  // ---- Regions: a choropleth of the matching sites, with its legend.

  function shade(count) {
    if (!count) { return SHADES[0]; }
    return SHADES[Math.min(SHADES.length - 1, 1 + Math.floor(((count - 1) / Math.max(regionMax, 1)) * (SHADES.length - 1)))];
  }

  function regionStyle(feature) {
    // Translucent, so the land and the labels beneath still read through the shading.
    return { color: "#505a5f", weight: 1, fillOpacity: 0.55, fillColor: shade(feature.properties.site_count) };
  }

  function regionTooltip(feature, layer) {
    var count = feature.properties.site_count;
    // An element with text, never a string: Leaflet would parse a string as HTML.
    var text = document.createElement("span");
    text.textContent = feature.properties.name + ": " + count + (count === 1 ? " site" : " sites");
    layer.bindTooltip(text, { sticky: true });
  }

  function drawLegend() {
    var scale = legend.querySelector("ul");
    scale.textContent = "";
    var seen = {};
    var rows = [{ label: "0", colour: SHADES[0] }];
    for (var count = 1; count <= regionMax; count += 1) {
      var colour = shade(count);
      if (!seen[colour]) {
        seen[colour] = { label: String(count), colour: colour, low: count };
        rows.push(seen[colour]);
      }
      seen[colour].label = seen[colour].low === count ? String(count) : seen[colour].low + "–" + count;
    }
    rows.forEach(function (row) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "map-legend__swatch";
      swatch.style.background = row.colour;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(row.label));
      scale.appendChild(item);
    });
    legend.hidden = false;
  }

  function loadRegions() {
    return fetch(element.dataset.regionsUrl + "?" + filterParams().toString(), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        regionMax = Math.max.apply(null, data.features.map(function (f) { return f.properties.site_count; }).concat([0]));
        regionLayer.clearLayers();
        regionLayer.addData(data);
        drawLegend();
        element.dataset.regionsLoaded = String(data.features.length);
      });
  }

  // ---- Clusters and the list of sites in view, refetched whenever the view or filters change.

  function viewBbox() {
    var bounds = map.getBounds();
    var box = [
      Math.max(bounds.getWest(), -180), Math.max(bounds.getSouth(), -90),
      Math.min(bounds.getEast(), 180), Math.min(bounds.getNorth(), 90)
    ];
    var chosen = area();
    if (chosen) {
      // With an area filter, only the part of the view inside it.
      box = [Math.max(box[0], chosen[0]), Math.max(box[1], chosen[1]), Math.min(box[2], chosen[2]), Math.min(box[3], chosen[3])];
      if (box[0] > box[2] || box[1] > box[3]) { return null; }
    }
    return box.map(function (n) { return n.toFixed(5); }).join(",");
  }

  function clusterMarker(feature) {
    var latlng = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
    var count = feature.properties.count;
    var size = count < 10 ? 30 : count < 100 ? 36 : 42;
    var marker = L.marker(latlng, {
      icon: L.divIcon({ className: "map-cluster", html: "<span>" + Number(count) + "</span>", iconSize: [size, size] }),
      title: count + " sites: zoom in",
      alt: count + " sites",
      riseOnHover: true
    });
    marker.on("click", function () { zoomInto(feature, latlng); });
    // Leaflet makes markers focusable buttons but only opens bound popups on Enter: do the rest.
    marker.on("keypress", function (event) {
      var key = event.originalEvent.key;
      if (key === "Enter" || key === " ") {
        event.originalEvent.preventDefault();
        zoomInto(feature, latlng);
      }
    });
    return marker;
  }

  function zoomInto(feature, latlng) {
    var b = feature.properties.bounds;
    var bounds = L.latLngBounds(b[0], b[1]);
    var target = map.getBoundsZoom(bounds.pad(0.2));
    if (map.getZoom() >= map.getMaxZoom() || (bounds.getNorth() === bounds.getSouth() && bounds.getEast() === bounds.getWest())) {
      // The sites share one point (town-level locations): list them rather than zoom for ever.
      var params = filterParams();
      params.set("bbox", [b[0][1] - 0.001, b[0][0] - 0.001, b[1][1] + 0.001, b[1][0] + 0.001].map(function (n) { return n.toFixed(4); }).join(","));
      var link = document.createElement("a");
      link.href = element.dataset.listUrl + "?" + params.toString();
      link.textContent = "List the " + feature.properties.count + " sites here";
      L.popup().setLatLng(latlng).setContent(link).openOn(map);
      return;
    }
    map.flyToBounds(bounds.pad(0.2), { maxZoom: Math.max(target, map.getZoom() + 1), duration: 0.4 });
    // The cluster's marker is about to be replaced: keep keyboard focus on the map, not lost.
    map.getContainer().focus();
  }

  function siteMarker(feature) {
    var latlng = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
    var marker = L.marker(latlng, {
      icon: L.divIcon({ className: "map-site", iconSize: [18, 18] }),
      title: feature.properties.name,
      alt: feature.properties.name
    });
    var link = document.createElement("a");
    link.href = feature.properties.url;
    link.textContent = feature.properties.name;
    marker.bindPopup(link);
    return marker;
  }

  // The list pages through every site in view: the cluster response carries the first page and
  // where the next one is; /map/sites.json's `next` links walk the rest. Pages seen are kept, so
  // "Previous" needs no request.
  var list = { total: 0, size: 50, pages: [], index: 0 };

  function drawSites() {
    var page = list.pages[list.index];
    listElement.textContent = "";
    page.sites.forEach(function (site) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = site.url;
      link.textContent = site.name;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" – " + site.town + ", " + site.region));
      listElement.appendChild(item);
    });
    var total = list.total;
    var first = list.index * list.size + 1;
    var last = first + page.sites.length - 1;
    if (total === 0) {
      countElement.textContent = "No matching sites in view.";
    } else if (page.sites.length >= total) {
      countElement.textContent = total + (total === 1 ? " site in view." : " sites in view.");
    } else if (list.index === 0) {
      countElement.textContent = "Showing " + page.sites.length + " of " + total + " sites in view.";
    } else {
      countElement.textContent = "Showing " + first + "–" + last + " of " + total + " sites in view.";
    }
    pager.hidden = !(page.next || list.index > 0);
    nextButton.disabled = !page.next;
    previousButton.disabled = list.index === 0;
  }

  function drawList(data, bbox) {
    list = { total: data.total, size: Math.max(data.sites.length, 1), pages: [{ sites: data.sites, next: data.sites_next }], index: 0 };
    drawSites();
    var params = filterParams();
    params.set("bbox", bbox);
    moreElement.querySelector("a").search = params.toString();
    moreElement.hidden = data.sites.length >= data.total;
  }

  function showPage(index) {
    list.index = index;
    drawSites();
    document.getElementById("in-view-title").focus();
  }

  nextButton.addEventListener("click", function () {
    var page = list.pages[list.index];
    if (list.pages[list.index + 1]) { showPage(list.index + 1); return; }
    if (!page.next) { return; }
    listElement.setAttribute("aria-busy", "true");
    fetch(page.next, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        listElement.removeAttribute("aria-busy");
        if (!data) { return; }
        list.pages.push({ sites: data.results, next: data.next });
        showPage(list.index + 1);
      });
  });
  previousButton.addEventListener("click", function () {
    if (list.index > 0) { showPage(list.index - 1); }
  });

  function loadClusters() {
    var bbox = viewBbox();
    if (clusterRequest) { clusterRequest.abort(); }
    if (bbox === null) {
      element.removeAttribute("aria-busy");
      clusterLayer.clearLayers();
      drawList({ sites: [], total: 0, sites_next: null }, "");
      return Promise.resolve();
    }
    var params = filterParams();
    params.set("bbox", bbox);
    params.set("zoom", String(map.getZoom()));
    clusterRequest = new AbortController();
    element.setAttribute("aria-busy", "true");
    return fetch(element.dataset.clustersUrl + "?" + params.toString(), { signal: clusterRequest.signal, headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        element.removeAttribute("aria-busy");
        if (!data) { countElement.textContent = "These filters are not valid; see the messages above."; return; }
        if (drawNear(data.near || null)) { return; }
        clusterLayer.clearLayers();
        data.features.forEach(function (feature) {
          clusterLayer.addLayer(feature.properties.count > 1 ? clusterMarker(feature) : siteMarker(feature));
        });
        element.dataset.features = String(data.features.length);
        element.dataset.total = String(data.total);
        drawList(data, bbox);
      })
      .catch(function (error) { if (error.name !== "AbortError") { throw error; } });
  }

  // The circle of a "near" search, as the server resolved it (a place, a postcode or
  // coordinates). Returns true when the map moves to a new circle (and so loads again).
  function drawNear(near) {
    var key = near ? [near.latitude, near.longitude, near.radius_km].join(",") : null;
    if (key === drawnNear) { return false; }
    drawnNear = key;
    nearLayer.clearLayers();
    if (!near) { return false; }
    var centre = L.latLng(near.latitude, near.longitude);
    L.circle(centre, { radius: near.radius_km * 1000, color: "#1d3c6e", weight: 2, fill: false, dashArray: "6 4", interactive: false }).addTo(nearLayer);
    if (fitNearOnLoad) {
      fitNearOnLoad = false;
      map.fitBounds(centre.toBounds(near.radius_km * 2000));
      return true;
    }
    return false;
  }

  // ---- Filters change: URL, form counts (the server renders the same form), regions, clusters.

  function refreshForm() {
    var openIds = Array.prototype.filter.call(form.querySelectorAll("details"), function (d) { return d.open; }).map(function (d) { return d.id; });
    var focusedId = document.activeElement && form.contains(document.activeElement) ? document.activeElement.id : null;
    return fetch(window.location.pathname + window.location.search, { headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        ["map-filters", "map-chips", "map-view-links"].forEach(function (id) {
          var fresh = page.getElementById(id);
          var current = document.getElementById(id);
          if (fresh && current) { current.innerHTML = fresh.innerHTML; }
        });
        openIds.forEach(function (id) { var d = document.getElementById(id); if (d) { d.open = true; } });
        if (focusedId && document.getElementById(focusedId)) { document.getElementById(focusedId).focus(); }
        syncAreaButtons();
        document.dispatchEvent(new CustomEvent("filters:replaced"));
      });
  }

  function filtersChanged() {
    // A new "near" moves the map to its circle once the server has placed it.
    fitNearOnLoad = filterParams().get("near") !== lastNear;
    lastNear = filterParams().get("near");
    updateUrlAndLinks();
    return Promise.all([refreshForm(), loadRegions(), loadClusters()]);
  }

  function syncAreaButtons() {
    clearAreaButton.hidden = !area();
    searchAreaButton.hidden = !movedByUser;
  }

  function setArea(value) {
    var input = form.querySelector("[name=bbox]");
    input.disabled = !value;
    input.value = value || "";
    movedByUser = false;
    filtersChanged();
  }

  form.addEventListener("change", function (event) {
    // Typed fields wait for Enter or the button; ticking a box applies at once.
    if (event.target.type === "checkbox" || event.target.tagName === "SELECT") { filtersChanged(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    filtersChanged();
  });
  searchAreaButton.addEventListener("click", function () {
    var b = map.getBounds();
    setArea([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(4); }).join(","));
  });
  clearAreaButton.addEventListener("click", function () { setArea(""); });

  var moveTimer = null;
  var firstViewDrawn = false;
  var viewInUrl = false;
  var lastNear = filterParams().get("near");
  map.on("moveend", function () {
    element.dataset.zoom = String(map.getZoom());
    if (firstViewDrawn) {
      movedByUser = true;
      viewInUrl = true;
      syncAreaButtons();
      updateUrlAndLinks();
      // The clusters on screen are stale until the debounced reload lands: say so at once.
      element.setAttribute("aria-busy", "true");
    }
    clearTimeout(moveTimer);
    moveTimer = setTimeout(function () { loadClusters(); loadLabels(); }, 150);
  });

  // ---- First view: the one in the URL, else the area filter, else a "near" search's circle
  // (placed by the server), else the UK.
  var chosenArea = area();
  var view = new URLSearchParams(window.location.search);
  var centre = (view.get("center") || "").split(",").map(Number);
  var zoom = Number(view.get("zoom"));
  if (centre.length === 2 && centre.every(isFinite) && view.get("zoom") !== null && isFinite(zoom)) {
    viewInUrl = true;
    map.setView(centre, Math.max(map.getMinZoom(), Math.min(zoom, map.getMaxZoom())));
  } else if (chosenArea) {
    map.fitBounds([[chosenArea[1], chosenArea[0]], [chosenArea[3], chosenArea[2]]]);
  } else {
    fitNearOnLoad = Boolean(lastNear);
    map.fitBounds(UK);
  }
  firstViewDrawn = true;
  element.dataset.zoom = String(map.getZoom());
  syncAreaButtons();
  clearTimeout(moveTimer);
  loadLand();
  loadLabels();
  if (element.hasAttribute("data-invalid")) {
    countElement.textContent = "These filters are not valid; see the messages above.";
    return;
  }
  loadRegions();
  loadClusters();
})();
