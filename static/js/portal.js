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
  document.addEventListener("DOMContentLoaded", focusFirstError);
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSwap", focusFirstError);
})();
