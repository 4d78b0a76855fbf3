/* Dashboards: draw each chart from its figure JSON (json_script, no inline script) with
   plotly.js served by this server; filters submit themselves when a choice changes. */
(function () {
  "use strict";

  var CONFIG = { displaylogo: false, responsive: true };

  function drawCharts() {
    var charts = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(charts, function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source || typeof window.Plotly === "undefined") {
        return;
      }
      var figure = JSON.parse(source.textContent);
      // A wall screen has nobody to use the toolbar: charts marked static draw without it.
      var config = element.hasAttribute("data-static-chart")
        ? { displayModeBar: false, responsive: true }
        : CONFIG;
      window.Plotly.newPlot(element, figure.data || [], figure.layout || {}, config).then(
        function () {
          element.setAttribute("data-drawn", "true");
        }
      );
    });
  }

  function autosubmit() {
    var selects = document.querySelectorAll("form[data-autosubmit] select");
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener("change", function () {
        select.form.submit();
      });
    });
    var switches = document.querySelectorAll("select[data-navigate]");
    Array.prototype.forEach.call(switches, function (select) {
      select.addEventListener("change", function () {
        window.location.assign(
          select.getAttribute("data-navigate") + encodeURIComponent(select.value) + "/"
        );
      });
    });
  }

  // Wide tables that grow with time (the heatmap) open on their newest columns.
  function scrollToNewest() {
    var boxes = document.querySelectorAll("[data-scroll-end]");
    Array.prototype.forEach.call(boxes, function (box) {
      box.scrollLeft = box.scrollWidth;
    });
  }

  function start() {
    autosubmit();
    scrollToNewest();
    drawCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
