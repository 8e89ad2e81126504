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

// 打印 buttons, and the manual voucher form (新增凭证): add and remove line rows, and show
// the debit and credit totals with their difference as one types (in fen, as integers).
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  var form = document.querySelector("form.voucher-form");
  if (!form) return;
  var body = form.querySelector("table.voucher-lines tbody");

  // "1,234.5" → 123450; blank → 0; anything else → null.
  function fen(text) {
    text = text.replace(/,/g, "").trim();
    if (text === "") return 0;
    var match = /^(-?)(\d+)(?:\.(\d{0,2}))?$/.exec(text);
    if (!match) return null;
    var cents = (match[3] || "").padEnd(2, "0");
    var value = parseInt(match[2], 10) * 100 + parseInt(cents, 10);
    return match[1] ? -value : value;
  }
  function yuan(value) {
    var negative = value < 0;
    value = Math.abs(value);
    var whole = String(Math.floor(value / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = String(value % 100).padStart(2, "0");
    return (negative ? "-" : "") + whole + "." + cents;
  }
  function update() {
    var debit = 0, credit = 0, bad = false;
    body.querySelectorAll("input[name=debit_yuan]").forEach(function (input) {
      var v = fen(input.value); if (v === null) bad = true; else debit += v;
    });
    body.querySelectorAll("input[name=credit_yuan]").forEach(function (input) {
      var v = fen(input.value); if (v === null) bad = true; else credit += v;
    });
    form.querySelector("[data-total=debit]").textContent = yuan(debit);
    form.querySelector("[data-total=credit]").textContent = yuan(credit);
    var cell = form.querySelector("[data-balance]");
    cell.classList.remove("balanced", "unbalanced");
    if (bad) {
      cell.textContent = "有金额格式不正确（应为数字，最多两位小数）";
      cell.classList.add("unbalanced");
    } else if (debit === credit) {
      cell.textContent = debit === 0 ? "借贷差额：0.00" : "借贷平衡";
      if (debit !== 0) cell.classList.add("balanced");
    } else {
      cell.textContent = "借贷差额：" + yuan(debit - credit) + "（借方合计 − 贷方合计）";
      cell.classList.add("unbalanced");
    }
  }
  form.addEventListener("input", update);
  form.addEventListener("click", function (event) {
    if (event.target.closest("[data-add-line]")) {
      var last = body.querySelector("tr.voucher-line:last-child");
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
      body.appendChild(copy);
      update();
    }
    var remove = event.target.closest("[data-remove-line]");
    if (remove && body.querySelectorAll("tr.voucher-line").length > 2) {
      remove.closest("tr").remove();
      update();
    }
  });
  update();
})();
