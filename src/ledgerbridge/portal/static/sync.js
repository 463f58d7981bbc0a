// Follows a queued run on the manual sync page: server-sent events when the browser has them,
// else polling of the run's progress as JSON. Without JavaScript the page still links to the
// run in the history.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var bar = document.getElementById("live-progress");
  var status = document.getElementById("live-status");
  var table = document.getElementById("live-flows");
  var link = document.getElementById("live-link");
  var lastMessage = "";

  function say(message) {
    // aria-live announces every change: only say something new.
    if (message && message !== lastMessage) {
      status.textContent = message;
      lastMessage = message;
    }
  }

  function cell(row, text, numeric) {
    var td = document.createElement("td");
    td.textContent = String(text);
    if (numeric) { td.className = "number"; }
    row.appendChild(td);
  }

  function show(data) {
    bar.max = Math.max(1, data.flows_total);
    bar.value = data.flows_done;
    var body = table.tBodies[0];
    while (body.firstChild) { body.removeChild(body.firstChild); }
    data.flows.forEach(function (f) {
      var row = document.createElement("tr");
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = f.flow;
      row.appendChild(th);
      cell(row, f.side, false);
      cell(row, f.pages, true);
      cell(row, f.records, true);
      cell(row, f.finished ? "yes" : "no", false);
      body.appendChild(row);
    });
    table.hidden = data.flows.length === 0;
    say(data.message);
  }

  function started(runId) {
    var a = link.querySelector("a");
    a.href = live.dataset.events.split("/runs/")[0] + "/runs/" + runId;
    link.hidden = false;
  }

  function poll(runId) {
    var url = live.dataset.progress.replace("{id}", String(runId));
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        show(data);
        if (data.finished) { settle(data); bar.value = bar.max; return; }
        window.setTimeout(function () { poll(runId); }, 2000);
      })
      .catch(function () { window.setTimeout(function () { poll(runId); }, 5000); });
  }

  if (!window.EventSource) {
    say("This browser cannot follow the run live; see it in the history.");
    return;
  }
  var source = new EventSource(live.dataset.events);
  var runId = null;
  source.addEventListener("started", function (e) {
    runId = JSON.parse(e.data).run_id;
    started(runId);
    say("Run " + runId + " started.");
  });
  source.addEventListener("progress", function (e) { show(JSON.parse(e.data)); });
  function settle(data) {
    // The recent runs table was drawn before the run ended: show its outcome there too.
    var a = document.querySelector('#recent-runs a[href$="/runs/' + data.run_id + '"]');
    var badge = a && a.closest("tr").querySelector(".state");
    if (badge) {
      badge.textContent = data.status;
      badge.className = "state outcome-" + data.status;
    }
  }

  source.addEventListener("finished", function (e) {
    var data = JSON.parse(e.data);
    show(data);
    settle(data);
    bar.value = bar.max;
    source.close();
  });
  source.addEventListener("timeout", function (e) {
    say(JSON.parse(e.data).message);
    source.close();
  });
  source.onerror = function () {
    // The stream broke (a proxy cut it): poll instead, once we know which run to follow.
    if (runId !== null) {
      source.close();
      poll(runId);
    }
  };
})();
