/* DataValley portal: the table explorer of a dataset page — data grid, downloads, chart builder.
 * Plain JavaScript, no build step. Reads rows from the rows API and charts through the SQL service, so
 * the caller's read plan applies to both.
 * Every text shown comes from the page's translated messages (#dv-messages); data is set as text, never HTML.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("dv-explorer").textContent);
  var messages = JSON.parse(document.getElementById("dv-messages").textContent);
  var session = JSON.parse(document.getElementById("dv-session").textContent);
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
  /* The chart asks the SQL service (POST /api/v1/query) for one GROUP BY over the whole table, with the
   * grid's filters as bound parameters: every matching row counts, masks and row filters apply as on
   * every path. Names are quoted; the aggregate comes from a fixed list. Returns
   * {labels: [...], values: [...], points: [[x, y], ...], rowsRead, count, capped, cut}. */
  var AGGREGATES = { sum: "sum", avg: "avg", count: "count", min: "min", max: "max" };
  var COMPARE = { eq: "=", gt: ">", gte: ">=", lt: "<", lte: "<=" };

  function quote(name) { return '"' + String(name).split('"').join('""') + '"'; }

  function filterSql(params) {
    return state.filters.map(function (f, i) {
      var col = quote(f.column);
      var name = "f" + i;
      if (f.op === "isnull") return col + (/^(true|1)$/i.test(f.value.trim()) ? " IS NULL" : " IS NOT NULL");
      var number = Number(f.value);
      params[name] = isNumeric(f.column) && f.value.trim() !== "" && isFinite(number) ? number : f.value;
      if (f.op === "contains") return "contains(" + col + ", :" + name + ")";
      if (f.op === "startswith") return "starts_with(" + col + ", :" + name + ")";
      if (f.op === "ne") return "(" + col + " <> :" + name + " OR " + col + " IS NULL)";
      return col + " " + (COMPARE[f.op] || "=") + " :" + name;
    });
  }

  function postQuery(sql, params) {
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (session.csrf) headers["X-CSRF-Token"] = session.csrf;
    return fetch(config.queryUrl, {
      method: "POST", headers: headers, credentials: "same-origin",
      body: JSON.stringify({ sql: sql, params: params, limit: config.chartCap })
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
        return body;
      });
    });
  }

  function fetchChartData(request) {
    var params = {};
    var where = filterSql(params);
    var x = quote(request.x);
    var result = { labels: [], values: [], points: [], rowsRead: 0, count: 0, capped: false, cut: false };
    if (request.kind === "scatter") {
      var y = quote(request.y);
      var conditions = [x + " IS NOT NULL", y + " IS NOT NULL"].concat(where);
      var sql = "SELECT " + x + ", " + y + ", count(*) OVER () FROM " + config.tableSql +
        " WHERE " + conditions.join(" AND ") + " LIMIT " + config.chartCap;
      return postQuery(sql, params).then(function (answer) {
        answer.rows.forEach(function (row) {
          var px = Number(row[0]), py = Number(row[1]);
          if (isFinite(px) && isFinite(py)) result.points.push([px, py]);
        });
        result.count = answer.rows.length ? Number(answer.rows[0][2]) : 0;
        result.rowsRead = answer.rows.length;
        result.capped = result.rowsRead < result.count;
        return result;
      });
    }
    var agg = AGGREGATES[request.agg] || "count";
    var value = request.y ? agg + "(" + quote(request.y) + ")" : "count(*)";
    var grouped = "SELECT " + x + ", " + value + ", count(*) FROM " + config.tableSql +
      (where.length ? " WHERE " + where.join(" AND ") : "") + " GROUP BY 1 ORDER BY 1 NULLS LAST";
    return postQuery(grouped, params).then(function (answer) {
      answer.rows.forEach(function (row) {
        var v = row[1] === null ? null : Math.round(Number(row[1]) * 1e6) / 1e6;
        result.labels.push(row[0] === null ? T("js.empty_value") : String(row[0]));
        result.values.push(v);
        result.rowsRead += Number(row[2]);
      });
      result.count = answer.total_rows;
      result.cut = answer.total_rows > answer.rows.length; // more groups than one page: the first are drawn
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
      if (data.cut) said += " " + T("js.chart_groups_cut", { groups: fmt(size), count: fmt(data.count) });
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
