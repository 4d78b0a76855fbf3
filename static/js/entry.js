/* The entry form: the year-on-year change of each item, recomputed as one types.
   Data come from data-* attributes (no inline script): the row's data-last-year and
   data-rate, the table's data-points-label and data-large-change. */
(function () {
  "use strict";

  var table = document.querySelector("[data-entry-table]");
  if (!table) {
    return;
  }
  var pointsLabel = table.getAttribute("data-points-label") || "pp";
  var largeChange = parseFloat(table.getAttribute("data-large-change") || "30");

  function parseNumber(text) {
    var cleaned = (text || "").replace(/[,，\s]/g, "");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(cleaned)) {
      return null;
    }
    return parseFloat(cleaned);
  }

  // The same signs as the server (dezhou_carbon/display.py): "+" and the minus sign U+2212.
  function signed(number) {
    var text = Math.abs(number).toFixed(1);
    if (text === "0.0") {
      return text;
    }
    return (number > 0 ? "+" : "\u2212") + text;
  }

  function update(input) {
    var row = input.closest("[data-item]");
    if (!row) {
      return;
    }
    var cell = row.querySelector("[data-change]");
    if (!cell) {
      return;
    }
    var value = parseNumber(input.value);
    var lastYear = parseNumber(row.getAttribute("data-last-year"));
    var text = "";
    var large = false;
    if (value !== null && lastYear !== null) {
      if (row.getAttribute("data-rate") === "1") {
        text = signed(value - lastYear) + " " + pointsLabel;
      } else if (lastYear > 0) {
        var change = (value / lastYear - 1) * 100;
        text = signed(change) + "%";
        large = Math.abs(change) > largeChange;
      }
    }
    cell.textContent = text;
    cell.classList.toggle("large", large);
    var note = row.querySelector("input[name^='note_']");
    if (note) {
      note.classList.toggle("needs-note", large && !note.value.trim());
    }
  }

  table.addEventListener("input", function (event) {
    var target = event.target;
    if (target.hasAttribute("data-value")) {
      update(target);
    } else if (target.name && target.name.indexOf("note_") === 0) {
      var row = target.closest("[data-item]");
      var value = row && row.querySelector("[data-value]");
      if (value) {
        update(value);
      }
    }
  });

  Array.prototype.forEach.call(table.querySelectorAll("[data-value]"), update);
})();
