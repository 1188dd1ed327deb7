// On a phone the facets would push the results two screens down: fold every facet the visitor
// has not used. Without JavaScript they all stay open, and the "Skip to the results" link helps.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(max-width: 48rem)").matches) { return; }
  document.querySelectorAll(".filters .filters__facet[open]").forEach(function (facet) {
    if (!facet.querySelector("input:checked") && !facet.querySelector(".field-error")) {
      facet.open = false;
    }
  });
})();
