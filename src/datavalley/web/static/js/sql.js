/* DataValley portal: the SQL console. Runs the editor's SQL with POST /api/v1/query, pages through the
 * result with its `next` cursor to the very end, points at the position of an error, and keeps the
 * download links (GET /api/v1/query?format=csv|parquet) carrying the SQL. Data is set as text, never HTML.
 */
(function () {
  "use strict";

  var messages = JSON.parse(document.getElementById("dv-messages").textContent);
  var session = JSON.parse(document.getElementById("dv-session").textContent);
  var config = JSON.parse(document.getElementById("dv-console").textContent);
  var NUMERIC = /^(u?int\d+|double|float\d*|halffloat|decimal.*)$/;

  function T(key, values) {
    var text = messages[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }
  function $(id) { return document.getElementById(id); }
  function fmt(n) { return Number(n).toLocaleString(document.documentElement.lang); }

  var editor = $("sql-editor");
  var grid = $("sql-grid");
  var statusLine = $("sql-status");
  var errorBox = $("sql-error");
  // pages[0] is the first page's answer; cursors[i] fetches page i (i >= 1)
  var state = { pages: [], cursors: [null], page: 0, running: false };

  function post(body) {
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (session.csrf) headers["X-CSRF-Token"] = session.csrf;
    return fetch(config.queryUrl, { method: "POST", headers: headers, body: JSON.stringify(body),
                                   credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) {
            var error = new Error((answer.error && answer.error.message) || response.statusText);
            error.details = (answer.error && answer.error.details) || [];
            throw error;
          }
          return answer;
        });
      });
  }

  // --- errors that point at their position ----------------------------------------------------------
  function clearError() {
    errorBox.hidden = true;
    $("sql-error-context").hidden = true;
    editor.removeAttribute("aria-invalid");
    delete editor.dataset.errorLine;
  }

  function offsetOf(text, line, column) {
    var lines = text.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    return Math.min(offset + Math.max(column - 1, 0), text.length);
  }

  function markPosition(line, column) {
    var text = editor.value;
    var start = offsetOf(text, line, column);
    var word = /^[\w\u3400-\u9fff]+|^\S/.exec(text.slice(start));
    editor.focus();
    editor.setSelectionRange(start, start + (word ? word[0].length : 0));
    editor.setAttribute("aria-invalid", "true");
    editor.dataset.errorLine = String(line);
    editor.dataset.errorColumn = String(column);
    var source = text.split("\n")[line - 1];
    if (source !== undefined) {
      var context = $("sql-error-context");
      context.textContent = source + "\n" + " ".repeat(Math.max(column - 1, 0)) + "^";
      context.hidden = false;
    }
  }

  /* Engine errors (an unknown column) carry no position, only the name: find it in the editor. */
  function positionOfName(message) {
    var named = /column "([^"]+)" not found/i.exec(message) || /column `([^`]+)`/i.exec(message);
    if (!named) return null;
    var escaped = named[1].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    var found = new RegExp("(^|[^\\w])(" + escaped + ")(?![\\w])", "i").exec(editor.value);
    if (!found) return null;
    var before = editor.value.slice(0, found.index + found[1].length).split("\n");
    return [String(before.length), String(before[before.length - 1].length + 1)];
  }

  function clearGrid() {
    grid.tHead.textContent = "";
    grid.tBodies[0].textContent = "";
    $("sql-first").disabled = $("sql-prev").disabled = $("sql-next").disabled = true;
  }

  function showError(error) {
    var detail = error.details && error.details[0] && error.details[0].message || "";
    var where = /line (\d+), column (\d+)/.exec(detail);
    where = where ? [where[1], where[2]] : positionOfName(error.message);
    statusLine.textContent = "";
    clearGrid();
    $("sql-error-text").textContent = where
      ? T("js.sql_error_at", { line: where[0], column: where[1], message: error.message })
      : T("js.sql_error", { message: error.message });
    errorBox.hidden = false;
    if (where) markPosition(Number(where[0]), Number(where[1]));
  }

  // --- the grid ------------------------------------------------------------------------------------
  function render(answer) {
    var head = document.createElement("tr");
    answer.columns.forEach(function (c) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = c.name;
      th.title = c.type;
      if (NUMERIC.test(c.type)) th.className = "num";
      head.appendChild(th);
    });
    grid.tHead.textContent = "";
    grid.tHead.appendChild(head);
    var body = grid.tBodies[0];
    body.textContent = "";
    answer.rows.forEach(function (values) {
      var tr = document.createElement("tr");
      values.forEach(function (value, i) {
        var td = document.createElement("td");
        if (value === null || value === undefined) {
          td.className = "null";
          td.textContent = "∅";
          td.title = T("js.empty_value");
        } else {
          td.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
          if (NUMERIC.test(answer.columns[i].type)) td.className = "num";
          td.title = td.textContent.length > 40 ? td.textContent : "";
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    statusLine.textContent = answer.row_count
      ? T("js.sql_rows", { from: fmt(answer.offset + 1), to: fmt(answer.offset + answer.row_count),
                           count: fmt(answer.total_rows), ms: fmt(Math.round(answer.elapsed_ms || 0)) })
      : T("js.no_rows");
    $("sql-first").disabled = $("sql-prev").disabled = state.page === 0;
    $("sql-next").disabled = !answer.next;
    grid.dataset.page = String(state.page + 1); // which page is on screen (tests wait for this)
    grid.dataset.total = String(answer.total_rows);
  }

  function load(body) {
    if (state.running) return Promise.resolve();
    state.running = true;
    statusLine.textContent = T("js.loading");
    grid.setAttribute("aria-busy", "true");
    $("sql-run").disabled = true;
    return post(body).then(function (answer) {
      clearError();
      if (state.page === 0) state.pages[0] = answer;
      state.cursors[state.page + 1] = answer.next;
      render(answer);
    }).catch(function (error) {
      showError(error);
    }).then(function () {
      state.running = false;
      grid.removeAttribute("aria-busy");
      $("sql-run").disabled = false;
    });
  }

  function run() {
    clearError();
    state = { pages: [], cursors: [null], page: 0, running: false };
    updateDownloads();
    delete grid.dataset.page;
    return load({ sql: editor.value, limit: config.pageRows });
  }

  function show(page) {
    state.page = page;
    if (page === 0 && state.pages[0]) { render(state.pages[0]); return; }
    load({ cursor: state.cursors[page], limit: config.pageRows });
  }

  $("sql-next").addEventListener("click", function () {
    if (state.cursors[state.page + 1]) show(state.page + 1);
  });
  $("sql-prev").addEventListener("click", function () { if (state.page > 0) show(state.page - 1); });
  $("sql-first").addEventListener("click", function () { show(0); });

  $("sql-form").addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  editor.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      run();
    }
  });

  // --- downloads carry the SQL ----------------------------------------------------------------------
  function updateDownloads() {
    document.querySelectorAll("a[data-format]").forEach(function (link) {
      link.href = config.queryUrl + "?" + new URLSearchParams({ format: link.dataset.format, sql: editor.value });
    });
  }
  editor.addEventListener("input", function () {
    updateDownloads();
    if (editor.getAttribute("aria-invalid")) editor.removeAttribute("aria-invalid");
  });

  // --- the table list puts names into the editor ----------------------------------------------------
  document.querySelectorAll("button.insert").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.dataset.insert;
      var start = editor.selectionStart, end = editor.selectionEnd;
      editor.value = editor.value.slice(0, start) + text + editor.value.slice(end);
      editor.focus();
      editor.setSelectionRange(start + text.length, start + text.length);
      updateDownloads();
    });
  });

  statusLine.textContent = T("js.sql_ready");
  updateDownloads();
  if (new URLSearchParams(window.location.search).get("run") === "1") run();
})();
