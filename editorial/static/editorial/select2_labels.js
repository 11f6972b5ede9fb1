// The admin's autocomplete (select2) types into a search box it makes itself, with no label:
// a screen reader announced an unnamed text field. Each one is named after its field's label
// as it appears (select2 makes it when the page loads, and again after each choice).
(function () {
  "use strict";
  function name(field) {
    if (field.hasAttribute("aria-label")) {
      return;
    }
    var container = field.closest(".select2-container");
    var select = container && container.previousElementSibling;
    var label = select && select.id && document.querySelector('label[for="' + select.id + '"]');
    var text = label ? label.textContent.replace(/:\s*$/, "").trim() : "";
    field.setAttribute("aria-label", text ? "Search " + text.toLowerCase() : "Search");
  }
  function nameAll(root) {
    root.querySelectorAll(".select2-search__field").forEach(name);
  }
  document.addEventListener("DOMContentLoaded", function () {
    nameAll(document);
    new MutationObserver(function () {
      nameAll(document);
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
