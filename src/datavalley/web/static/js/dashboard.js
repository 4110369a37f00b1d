/* DataValley portal: the authority's dashboard. Draws the figures the page hands over (#dv-dashboard)
 * with ECharts; each chart's numbers are also in a table under it. Plain JavaScript, no build step. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("dv-dashboard").textContent);
  var messages = JSON.parse(document.getElementById("dv-messages").textContent);
  function T(key) { return messages[key] || key; }

  function option(key, series) {
    var base = { animation: false, tooltip: { trigger: key === "requests" ? "item" : "axis" },
                 grid: { left: 60, right: 20, top: 20, bottom: 40, containLabel: true } };
    if (key === "requests") {
      base.series = [{ type: "pie", radius: ["35%", "65%"],
        data: series.labels.map(function (label, i) {
          return { name: T("js.state." + label), value: series.values[i] };
        }).filter(function (d) { return d.value > 0; }) }];
      return base;
    }
    if (key === "datasets" || key === "organizations") {
      var labels = series.labels.map(function (l) { return l || T("js.anonymous"); }).reverse();
      base.xAxis = { type: "value", minInterval: 1 };
      base.yAxis = { type: "category", data: labels, axisLabel: { width: 160, overflow: "truncate" } };
      base.series = [{ type: "bar", data: series.values.slice().reverse(), name: T("js.reads") }];
      return base;
    }
    base.xAxis = { type: "category", data: series.labels };
    base.yAxis = { type: "value", minInterval: 1 };
    base.series = [{ type: key === "volume" ? "line" : "bar", data: series.values,
                     name: key === "volume" ? T("js.rows") : T("js.reads"),
                     areaStyle: key === "volume" ? {} : undefined, step: key === "volume" ? "end" : undefined }];
    return base;
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var key = box.dataset.chart;
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option(key, data[key]));
    box.dataset.drawn = "true"; // tests and screenshots wait for this
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.dvDashboard = charts;
})();
