// Fiscus pages work without this script; it only adds conveniences:
// confirmations on buttons with data-confirm, "select all" checkboxes, and filter selects
// that submit their form as soon as they change.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
      return;
    }
    // <input type="checkbox" data-select-all="name"> ticks every checkbox of that name
    // in the same form or table.
    var name = target.getAttribute("data-select-all");
    if (name) {
      var scope = target.closest("form, table") || document;
      scope.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  // The 基础信息变更申请 form marks every field whose value differs from the unit's present
  // one (data-current), as the server does when it redraws the form.
  function markChanged(target) {
    if (!target.hasAttribute || !target.hasAttribute("data-current")) return;
    var field = target.closest(".field");
    if (field) field.classList.toggle("changed", target.value.trim() !== target.getAttribute("data-current"));
  }
  document.addEventListener("input", function (event) { markChanged(event.target); });
  document.addEventListener("change", function (event) { markChanged(event.target); });
})();
