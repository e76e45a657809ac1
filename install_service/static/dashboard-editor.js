// The workflow editor's one behaviour htmx has no attribute for: when a field's check
// (GET /dashboard/editor/check/<field>) fills its message, mark the field invalid or valid
// (aria-invalid, and the .has-error frame) to match. The message itself is a live region.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("htmx:afterSwap", function (event) {
    var message = event.detail.target;
    var fieldId = message && message.getAttribute("data-error-for");
    var field = fieldId && document.getElementById(fieldId);
    if (!field) return;
    var invalid = message.textContent.trim() !== "";
    if (invalid) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
    field.closest(".field").classList.toggle("has-error", invalid);
  });
})();
