/* Dashboards: draw each chart from its figure JSON (json_script, no inline script) with
   plotly.js served by this server; filters submit themselves when a choice changes. */
(function () {
  "use strict";

  // The toolbar (modebar) speaks the page's language: plotly.js's zh-CN dictionary is
  // served from static/vendor and registered before this script runs.
  var LOCALE = /^zh/i.test(document.documentElement.lang || "") ? "zh-CN" : "en";
  // No "share chart" button: it sends the figure to Plotly's cloud (and has no Chinese).
  var CONFIG = {
    displaylogo: false,
    responsive: true,
    locale: LOCALE,
    modeBarButtonsToRemove: ["sendChartToCloud"],
  };
  // The toolbar sits in the top margin, above the plot and its labels: it is about 30 px
  // high, so a figure with a thinner top margin gets this one.
  var MODEBAR_MARGIN = 36;

  function withModebarRoom(layout) {
    var margin = Object.assign({}, layout.margin || {});
    margin.t = Math.max(margin.t === undefined ? 80 : margin.t, MODEBAR_MARGIN);
    return Object.assign({}, layout, { margin: margin });
  }

  function drawCharts() {
    var charts = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(charts, function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source || typeof window.Plotly === "undefined") {
        return;
      }
      var figure = JSON.parse(source.textContent);
      // A wall screen has nobody to use the toolbar: charts marked static draw without it.
      var isStatic = element.hasAttribute("data-static-chart");
      var config = isStatic ? { displayModeBar: false, responsive: true, locale: LOCALE } : CONFIG;
      var layout = isStatic ? figure.layout || {} : withModebarRoom(figure.layout || {});
      window.Plotly.newPlot(element, figure.data || [], layout, config).then(
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
