/* Portail: the few behaviours every page shares, without a framework.
   - An error summary (components/form.html) or an error message takes the focus when the page
     loads, so that a refused submission is seen and read first (RGAA 11.10).
   - A button with data-confirm asks before it submits. */
(function () {
  "use strict";
  function focusFirstError() {
    var target = document.querySelector("[data-error-summary]") ||
      document.querySelector(".messages .message-error");
    if (!target) { return; }
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  }
  // Tables scroll in their own region on narrow screens; the region takes the focus (so that
  // the keyboard can scroll it) only when it overflows.
  function wrapTables(root) {
    root.querySelectorAll("table.table").forEach(function (table) {
      var region = table.parentElement;
      if (!region.classList.contains("table-scroll")) {
        region = document.createElement("div");
        region.className = "table-scroll";
        table.parentNode.insertBefore(region, table);
        region.appendChild(table);
      }
      var caption = table.querySelector("caption");
      if (region.scrollWidth > region.clientWidth + 1) {
        region.setAttribute("tabindex", "0");
        region.setAttribute("role", "region");
        region.setAttribute("aria-label", caption ? caption.textContent.trim() : "Tableau");
      } else if (!region.hasAttribute("data-keep")) {
        region.removeAttribute("tabindex");
        region.removeAttribute("role");
        region.removeAttribute("aria-label");
      }
    });
  }
  // The main navigation folds behind a "Menu" button on narrow screens.
  function navToggle() {
    var nav = document.querySelector(".main-nav");
    var button = document.querySelector(".nav-toggle");
    if (!nav || !button) { return; }
    button.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // The navigation's badges (the home page's counts) on pages other than home: one request,
  // swapped in out of band, so that no page pays for the queues' queries.
  function loadBadges() {
    var source = document.querySelector("[data-badges-url]");
    if (source && window.htmx) {
      window.htmx.ajax("GET", source.getAttribute("data-badges-url"), { source: source, swap: "none" });
    }
  }
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    wrapTables(document);
    navToggle();
    focusFirstError();
    loadBadges();
  });
  window.addEventListener("resize", function () { wrapTables(document); });
  document.addEventListener("htmx:afterSettle", function (event) { wrapTables(event.target); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.querySelector && event.target.querySelector("[data-error-summary]")) {
      focusFirstError();
    }
  });
})();
