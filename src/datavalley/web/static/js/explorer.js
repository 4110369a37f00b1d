/* DataValley portal: the table explorer of a dataset page — data grid, downloads, chart builder.
 * Plain JavaScript, no build step. Reads rows from the rows API only, so its rules apply here too.
 * Every text shown comes from the page's translated messages (#dv-messages); data is set as text, never HTML.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("dv-explorer").textContent);
  var messages = JSON.parse(document.getElementById("dv-messages").textContent);
  var NUMERIC = /^(u?int\d+|double|float\d*|halffloat|decimal.*)$/;
  var TEMPORAL = /^(date\d*|timestamp.*)/;

  function T(key, values) {
    var text = messages[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }
  function $(id) { return document.getElementById(id); }
  function columnOf(name) {
    return config.columns.filter(function (c) { return c.name === name; })[0];
  }
  function isNumeric(name) { var c = columnOf(name); return !!c && NUMERIC.test(c.type); }
  function isTemporal(name) { var c = columnOf(name); return !!c && TEMPORAL.test(c.type); }
  function fmt(n) { return Number(n).toLocaleString(document.documentElement.lang); }

  // --- state shared by the grid, the downloads and the chart ------------------------------------
  var state = { filters: [], sort: [], cursors: [null], page: 0, next: null, count: 0 };

  function filterParams(params) {
    state.filters.forEach(function (f) { params.append(f.column + "__" + f.op, f.value); });
    return params;
  }
  function sortParam() {
    return state.sort.map(function (s) { return (s.desc ? "-" : "") + s.column; }).join(",");
  }
  function readParams(extra) {
    var params = filterParams(new URLSearchParams());
    if (state.sort.length) params.set("sort", sortParam());
    Object.keys(extra || {}).forEach(function (k) { if (extra[k] !== null) params.set(k, extra[k]); });
    return params;
  }
  function fetchRows(params) {
    return fetch(config.rowsUrl + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
          return body;
        });
      });
  }

  // --- grid -------------------------------------------------------------------------------------
  var grid = $("grid");
  var statusLine = $("grid-status");
  var errorBox = $("grid-error");

  function showError(box, error) {
    box.textContent = T("js.error", { message: error.message });
    box.hidden = false;
  }

  function renderHead() {
    var row = document.createElement("tr");
    config.columns.forEach(function (c) {
      var th = document.createElement("th");
      th.scope = "col";
      if (isNumeric(c.name)) th.className = "num";
      var sorted = state.sort.filter(function (s) { return s.column === c.name; })[0];
      th.setAttribute("aria-sort", sorted ? (sorted.desc ? "descending" : "ascending") : "none");
      var button = document.createElement("button");
      button.type = "button";
      button.dataset.column = c.name;
      button.title = T("js.sort_by", { column: c.label });
      var label = document.createElement("span");
      label.textContent = c.label;
      button.appendChild(label);
      var arrow = document.createElement("span");
      arrow.setAttribute("aria-hidden", "true");
      arrow.textContent = sorted ? (sorted.desc ? "▼" : "▲") : "↕";
      button.appendChild(arrow);
      if (sorted) {
        var said = document.createElement("span");
        said.className = "visually-hidden";
        said.textContent = T(sorted.desc ? "js.sorted_desc" : "js.sorted_asc");
        button.appendChild(said);
      }
      button.addEventListener("click", function () { toggleSort(c.name); });
      th.appendChild(button);
      if (c.label !== c.name || c.tags.length) {
        var sub = document.createElement("span");
        sub.className = "col-name";
        sub.textContent = c.label !== c.name ? c.name : "";
        if (c.tags.length) {
          var mark = document.createElement("span");
          mark.className = "sensitive-mark";
          mark.textContent = " ⚠ " + T("js.sensitive", { tags: c.tags.join(", ") }) +
            (c.masked ? " · " + T("js.masked") : "");
          sub.appendChild(mark);
        }
        th.appendChild(sub);
      }
      row.appendChild(th);
    });
    var head = grid.tHead;
    head.textContent = "";
    head.appendChild(row);
    if (state.focusColumn) {
      var button = head.querySelector('button[data-column="' + CSS.escape(state.focusColumn) + '"]');
      if (button) button.focus();
      state.focusColumn = null;
    }
  }

  function renderBody(page) {
    var body = grid.tBodies[0];
    body.textContent = "";
    page.rows.forEach(function (values) {
      var tr = document.createElement("tr");
      config.columns.forEach(function (c) {
        var td = document.createElement("td");
        var value = values[c.name];
        if (value === null || value === undefined) {
          td.className = "null";
          td.textContent = "∅";
          td.title = T("js.empty_value");
        } else {
          td.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
          if (isNumeric(c.name)) td.className = "num";
          td.title = td.textContent.length > 40 ? td.textContent : "";
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function loadPage() {
    statusLine.textContent = T("js.loading");
    errorBox.hidden = true;
    grid.setAttribute("aria-busy", "true");
    var params = readParams({ limit: config.pageRows, cursor: state.cursors[state.page] });
    return fetchRows(params).then(function (page) {
      state.next = page.next;
      state.count = page.count;
      renderHead();
      renderBody(page);
      var first = state.page * config.pageRows;
      statusLine.textContent = page.rows.length
        ? T("js.rows_of", { from: fmt(first + 1), to: fmt(first + page.rows.length), count: fmt(page.count) })
        : T("js.no_rows");
      $("grid-first").disabled = $("grid-prev").disabled = state.page === 0;
      $("grid-next").disabled = !page.next;
      grid.dataset.page = String(state.page + 1); // which page is on screen (tests wait for this)
    }).catch(function (error) {
      statusLine.textContent = "";
      showError(errorBox, error);
    }).then(function () { grid.removeAttribute("aria-busy"); });
  }

  function restart() {
    state.cursors = [null];
    state.page = 0;
    updateDownloads();
    return loadPage().then(function () { if (chart) return drawChart(); });
  }

  function toggleSort(column) {
    var current = state.sort[0];
    if (!current || current.column !== column) state.sort = [{ column: column, desc: false }];
    else if (!current.desc) state.sort = [{ column: column, desc: true }];
    else state.sort = [];
    state.focusColumn = column; // the header is drawn anew: keep the keyboard focus on its button
    restart();
  }

  $("grid-next").addEventListener("click", function () {
    if (!state.next) return;
    state.cursors[state.page + 1] = state.next;
    state.page += 1;
    loadPage();
  });
  $("grid-prev").addEventListener("click", function () {
    if (state.page > 0) { state.page -= 1; loadPage(); }
  });
  $("grid-first").addEventListener("click", function () { state.page = 0; loadPage(); });

  function renderFilters() {
    var list = $("grid-filters");
    list.textContent = "";
    state.filters.forEach(function (f, i) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      var text = columnOf(f.column).label + " " + T("op." + f.op) + " " + f.value;
      button.textContent = text + " ✕";
      button.setAttribute("aria-label", T("js.remove_filter", { filter: text }));
      button.addEventListener("click", function () {
        state.filters.splice(i, 1);
        renderFilters();
        restart();
        $("filter-value").focus();
      });
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  $("grid-filter").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = $("filter-value").value.trim();
    var op = $("filter-op").value;
    if (op === "isnull" && !value) value = "true";
    if (!value) {
      errorBox.textContent = T("js.need_value");
      errorBox.hidden = false;
      $("filter-value").focus();
      return;
    }
    state.filters.push({ column: $("filter-column").value, op: op, value: value });
    $("filter-value").value = "";
    renderFilters();
    restart();
  });

  // --- downloads ----------------------------------------------------------------------------------
  function updateDownloads() {
    document.querySelectorAll("a[data-format]").forEach(function (link) {
      link.href = config.rowsUrl + "?" + readParams({ format: link.dataset.format }).toString();
    });
  }

  // --- chart --------------------------------------------------------------------------------------
  /* The seam for the SQL service: today the chart reads up to config.chartCap rows of the rows API and
   * aggregates them here; once POST /api/v1/query exists, this one function can ask it for
   * `SELECT x, agg(y) ... GROUP BY x` instead, and return the same shape:
   * {labels: [...], values: [...], points: [[x, y], ...], rowsRead, count, capped}. */
  function fetchChartData(request) {
    var columns = [request.x];
    if (request.y && request.y !== request.x) columns.push(request.y);
    var params = readParams({ limit: config.chartCap, columns: columns.join(",") });
    return fetchRows(params).then(function (page) {
      var result = { labels: [], values: [], points: [], rowsRead: page.rows.length, count: page.count,
                     capped: page.rows.length < page.count };
      if (request.kind === "scatter") {
        page.rows.forEach(function (row) {
          var x = Number(row[request.x]), y = Number(row[request.y]);
          if (row[request.x] !== null && row[request.y] !== null && isFinite(x) && isFinite(y)) {
            result.points.push([x, y]);
          }
        });
        return result;
      }
      var groups = new Map();
      page.rows.forEach(function (row) {
        var key = row[request.x] === null ? T("js.empty_value") : String(row[request.x]);
        var group = groups.get(key) || { n: 0, count: 0, sum: 0, min: Infinity, max: -Infinity };
        group.n += 1;
        var y = request.y ? row[request.y] : null;
        if (y !== null && y !== undefined && isFinite(Number(y))) {
          y = Number(y);
          group.count += 1;
          group.sum += y;
          group.min = Math.min(group.min, y);
          group.max = Math.max(group.max, y);
        }
        groups.set(key, group);
      });
      var keys = Array.from(groups.keys());
      if (isNumeric(request.x)) keys.sort(function (a, b) { return Number(a) - Number(b); });
      else if (isTemporal(request.x) || request.kind === "line") keys.sort();
      keys.forEach(function (key) {
        var g = groups.get(key);
        var value;
        if (!request.y) value = g.n;
        else if (request.agg === "count") value = g.count;
        else if (!g.count) value = null;
        else if (request.agg === "sum") value = g.sum;
        else if (request.agg === "avg") value = g.sum / g.count;
        else if (request.agg === "min") value = g.min;
        else value = g.max;
        if (value !== null) value = Math.round(value * 1e6) / 1e6;
        result.labels.push(key);
        result.values.push(value);
      });
      return result;
    });
  }

  var chartBox = $("chart");
  var chart = null;
  var chartStatus = $("chart-status");

  function chartOption(request, data) {
    var xName = columnOf(request.x).label;
    var yName = request.y ? T("agg." + request.agg) + " · " + columnOf(request.y).label : T("js.rows");
    var base = { animation: false, tooltip: { trigger: request.kind === "pie" ? "item" : "axis" },
                 grid: { left: 70, right: 30, top: 40, bottom: 70 } };
    if (request.kind === "pie") {
      base.series = [{ type: "pie", radius: "65%", name: yName,
        data: data.labels.map(function (label, i) { return { name: label, value: data.values[i] }; }) }];
      return base;
    }
    if (request.kind === "scatter") {
      base.tooltip = { trigger: "item" };
      base.xAxis = { type: "value", name: xName, scale: true };
      base.yAxis = { type: "value", name: columnOf(request.y).label, scale: true };
      base.series = [{ type: "scatter", symbolSize: 6, data: data.points }];
      return base;
    }
    base.xAxis = { type: "category", name: xName, data: data.labels, axisLabel: { rotate: data.labels.length > 8 ? 35 : 0 } };
    base.yAxis = { type: "value", name: yName };
    base.dataZoom = data.labels.length > 40 ? [{ type: "slider" }] : undefined;
    base.series = [{ type: request.kind, name: yName, data: data.values }];
    return base;
  }

  function drawChart() {
    var request = { kind: $("chart-type").value, x: $("chart-x").value, y: $("chart-y").value,
                    agg: $("chart-agg").value };
    if (request.kind === "scatter" && (!request.y || !isNumeric(request.x) || !isNumeric(request.y))) {
      chartStatus.textContent = T("js.chart_needs_numbers");
      return Promise.resolve();
    }
    chartStatus.textContent = T("js.chart_loading");
    return fetchChartData(request).then(function (data) {
      var size = request.kind === "scatter" ? data.points.length : data.labels.length;
      if (!size || (request.kind !== "scatter" && data.values.every(function (v) { return v === null; }))) {
        chartStatus.textContent = T("js.chart_no_data");
        if (chart) chart.clear();
        return;
      }
      if (!chart) chart = window.echarts.init(chartBox, null, { renderer: "canvas" });
      chart.setOption(chartOption(request, data), true);
      chartBox.setAttribute("aria-label", T("chart.type." + request.kind) + ": " +
        columnOf(request.x).label + (request.y ? " / " + columnOf(request.y).label : ""));
      var said = T("js.chart_done", { rows: fmt(data.rowsRead), groups: fmt(size) });
      if (data.capped) said += " " + T("js.chart_capped", { rows: fmt(data.rowsRead), count: fmt(data.count) });
      chartStatus.textContent = said;
      chartBox.dataset.drawn = request.kind; // the chart is on screen (tests wait for this)
      window.dvChart = chart; // for tests and the curious: the drawn chart and its option
    }).catch(function (error) {
      chartStatus.textContent = T("js.error", { message: error.message });
    });
  }

  function pickDefaults() {
    var names = config.columns.map(function (c) { return c.name; });
    var timeLike = /(year|month|date|day|年|月|日期)/i;
    var idLike = /(^id$|_id\b|_id$|code|编号|代码|name|名称)/i; // poor groups: one row each
    var x = names.filter(function (n) { return isTemporal(n) || timeLike.test(n) || timeLike.test(columnOf(n).label); })[0] ||
      names.filter(function (n) { return !isNumeric(n) && !idLike.test(n + " " + columnOf(n).label); })[0] ||
      names.filter(function (n) { return !isNumeric(n); })[0] || names[0];
    var y = names.filter(function (n) {
      return n !== x && isNumeric(n) && !/(code|id|year|代码|年份)/i.test(n + " " + columnOf(n).label);
    })[0] || "";
    $("chart-x").value = x;
    $("chart-y").value = y;
    $("chart-type").value = isTemporal(x) || timeLike.test(x) || timeLike.test(columnOf(x).label) ? "line" : "bar";
  }

  $("chart-form").addEventListener("submit", function (event) {
    event.preventDefault();
    drawChart();
  });
  window.addEventListener("resize", function () { if (chart) chart.resize(); });

  // keep only number columns as chart values
  Array.from($("chart-y").options).forEach(function (option) {
    if (option.value && !isNumeric(option.value)) option.remove();
  });
  window.dvFetchChartData = fetchChartData;
  pickDefaults();
  restart().then(drawChart);
})();
