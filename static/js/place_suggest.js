// Type-ahead for "near" boxes: suggests UK towns, cities and outward postcodes as you type, as an
// ARIA 1.2 combobox (a text box with a list box), usable with the keyboard alone: Down and Up move
// through the suggestions, Enter picks one, Escape closes the list. Without JavaScript the box is
// a plain text field and the server resolves what was typed.
(function () {
  "use strict";

  function attach(input) {
    var url = input.dataset.suggestUrl;
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var status = document.getElementById(input.dataset.suggestStatus);
    if (!url || !list) { return; }
    var options = [];
    var active = -1;
    var timer = null;
    var request = null;

    function close() {
      list.hidden = true;
      list.textContent = "";
      options = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      if (index < 0 || index >= options.length) { return; }
      input.value = options[index].dataset.value;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(suggestions) {
      close();
      suggestions.forEach(function (suggestion, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.value = suggestion.value;
        option.textContent = suggestion.label;
        // mousedown, not click: the input would lose focus (and close the list) before a click lands.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(option);
        options.push(option);
      });
      if (status) {
        status.textContent = suggestions.length === 0 ? "No places match." :
          suggestions.length + (suggestions.length === 1 ? " place suggested." : " places suggested.") +
          " Use the up and down arrows to choose.";
      }
      if (options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function fetchSuggestions() {
      var text = input.value.trim();
      if (text.length < 2 || /^-?\d/.test(text)) { close(); return; }  // coordinates need no help
      if (request) { request.abort(); }
      request = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(text), { signal: request.signal, headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (document.activeElement === input) { show(data.results); } })
        .catch(function (error) { if (error.name !== "AbortError") { throw error; } });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && options.length) {
        event.preventDefault();
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp" && options.length) {
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();  // pick the suggestion; a second Enter submits the form
        choose(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(attach);
})();
