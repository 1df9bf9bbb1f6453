// Combobox with a listbox popup (WAI-ARIA Authoring Practices, "editable combobox with list
// autocomplete"): the options are fetched by htmx into the listbox; this script opens and
// closes it, moves the active option with the arrow keys (aria-activedescendant), chooses it
// with Enter or a click (the hidden input gets the id), and closes with Escape.
(function () {
  if (window.portalCombobox) return;
  window.portalCombobox = true;

  function parts(root) {
    return {
      input: root.querySelector('[role="combobox"]'),
      value: root.querySelector("[data-combobox-value]"),
      list: root.querySelector('[role="listbox"]'),
    };
  }
  function options(list) {
    return Array.from(list.querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
  }
  function open(p, yes) {
    p.list.hidden = !yes;
    p.input.setAttribute("aria-expanded", yes ? "true" : "false");
    if (!yes) p.input.removeAttribute("aria-activedescendant");
  }
  function activate(p, option) {
    options(p.list).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }
  function choose(p, option) {
    p.value.value = option.dataset.value;
    p.input.value = option.firstChild.textContent.trim();
    open(p, false);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var root = event.target.closest("[data-combobox]");
    if (!root) return;
    var p = parts(root);
    open(p, document.activeElement === p.input);
  });
  document.addEventListener("input", function (event) {
    var root = event.target.closest("[data-combobox]");
    if (root && event.target.getAttribute("role") === "combobox") parts(root).value.value = "";
  });
  document.addEventListener("keydown", function (event) {
    var root = event.target.closest("[data-combobox]");
    if (!root || event.target.getAttribute("role") !== "combobox") return;
    var p = parts(root);
    var all = options(p.list);
    var current = p.list.querySelector('[aria-selected="true"]');
    var index = all.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!all.length) return;
      open(p, true);
      var next = event.key === "ArrowDown" ? index + 1 : index - 1;
      activate(p, all[(next + all.length) % all.length]);
    } else if (event.key === "Enter" && !p.list.hidden && current) {
      event.preventDefault();
      choose(p, current);
    } else if (event.key === "Escape") {
      if (!p.list.hidden) { event.preventDefault(); open(p, false); }
      else { p.input.value = ""; p.value.value = ""; }
    }
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest('[data-combobox] [role="option"]');
    document.querySelectorAll("[data-combobox]").forEach(function (root) {
      var p = parts(root);
      if (option && root.contains(option)) {
        if (option.getAttribute("aria-disabled") !== "true") choose(p, option);
      } else if (!root.contains(event.target)) {
        open(p, false);
      }
    });
  });
})();
