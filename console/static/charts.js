// Draws the console's charts with Chart.js (served from this origin, see console/web/charts.py).
// Data arrives as JSON from the console itself; nothing here builds HTML from it.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }

  var STATE_COLOURS = {
    Available: "#2e7d32", Preparing: "#66bb6a", Charging: "#1565c0", SuspendedEV: "#64b5f6",
    SuspendedEVSE: "#90caf9", Finishing: "#4fc3f7", Reserved: "#8d6e63", Occupied: "#42a5f5",
    Unavailable: "#757575", Faulted: "#c62828", Disconnected: "#ef6c00", NoData: "#e0e0e0"
  };
  var LINE_COLOURS = ["#1565c0", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#ef6c00"];

  // Times on the charger's site clock, 24-hour, as the rest of the console shows them.
  var zone = "UTC";
  function clock(seconds, withDay) {
    var options = { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withDay) { options.day = "2-digit"; options.month = "2-digit"; }
    return new Intl.DateTimeFormat(document.documentElement.lang || "en", options)
      .format(new Date(seconds * 1000));
  }

  function timeAxis(start, end, withDay) {
    return {
      type: "linear", min: start, max: end,
      ticks: { maxTicksLimit: 8, callback: function (value) { return clock(value, withDay); } }
    };
  }

  // Availability page: one small bar chart per site, a bar per day of the month.
  Array.prototype.forEach.call(document.querySelectorAll("canvas.availability-days"), function (canvas) {
    var days = JSON.parse(canvas.getAttribute("data-days"));
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: days.map(function (d) { return d[0]; }),
        datasets: [{
          label: canvas.getAttribute("data-label"),
          data: days.map(function (d) { return d[1] === null ? null : Math.round(d[1] * 10000) / 100; }),
          backgroundColor: days.map(function (d) {
            return d[1] === null ? "#e0e0e0" : d[1] >= 0.97 ? "#2e7d32" : d[1] >= 0.9 ? "#f9a825" : "#c62828";
          })
        }]
      },
      options: {
        animation: false, responsive: false,
        plugins: { legend: { display: false } },
        scales: { y: { min: 0, max: 100, display: false }, x: { ticks: { font: { size: 9 } } } }
      }
    });
  });

  // CSMS page: each upstream's p95 answer time over 24 h, one line per upstream.
  var csms = document.getElementById("csms-chart");
  if (csms) {
    var csmsStatus = csms.querySelector(".chart-status");
    fetch(csms.getAttribute("data-source"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (body) { throw new Error(body.detail || response.status); });
        }
        return response.json();
      })
      .then(function (data) {
        zone = data.timezone || "UTC";
        new Chart(document.getElementById("chart-csms"), {
          type: "line",
          data: {
            datasets: Object.keys(data.p95_ms).map(function (upstream, i) {
              return {
                label: upstream, pointRadius: 0, borderWidth: 1.5,
                borderColor: LINE_COLOURS[i % LINE_COLOURS.length],
                data: data.p95_ms[upstream].map(function (p) { return { x: p[0], y: p[1] }; })
              };
            })
          },
          options: {
            animation: false, maintainAspectRatio: false, parsing: false, spanGaps: false,
            scales: {
              x: timeAxis(data.start, data.end, false),
              y: { type: "linear", min: 0, title: { display: true, text: "ms" } }
            }
          }
        });
        csms.setAttribute("data-drawn", String(Object.keys(data.p95_ms).length));
      })
      .catch(function (error) { csmsStatus.textContent = csms.getAttribute("data-unavailable") + ": " + error.message; });
  }

  // A charger's history: status timeline and power/SoC, for 24 h or 7 days.
  var box = document.getElementById("charger-charts");
  if (!box) { return; }
  var charts = [];
  var statusLine = box.querySelector(".chart-status");

  function label(name) { return box.getAttribute("data-" + name); }

  function stateName(state) {
    if (state === "NoData") { return label("no-data"); }
    if (state === "Disconnected") { return label("disconnected"); }
    return state;
  }

  function draw(data) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    zone = data.timezone || "UTC";
    var withDay = data.period !== "24h";
    var states = {};
    data.timeline.forEach(function (s) { (states[s.state] = states[s.state] || []).push(s); });
    var rows = [];
    data.timeline.forEach(function (s) {
      var row = label("connector") + " " + s.connector;
      if (rows.indexOf(row) < 0) { rows.push(row); }
    });
    charts.push(new Chart(document.getElementById("chart-timeline"), {
      type: "bar",
      data: {
        labels: rows,
        datasets: Object.keys(states).map(function (state) {
          return {
            label: stateName(state),
            backgroundColor: STATE_COLOURS[state] || "#9e9e9e",
            data: states[state].map(function (s) {
              return { x: [s.start, s.end], y: label("connector") + " " + s.connector };
            })
          };
        })
      },
      options: {
        animation: false, indexAxis: "y", maintainAspectRatio: false,
        plugins: {
          tooltip: { callbacks: { label: function (item) {
            var r = item.raw.x;
            return item.dataset.label + ": " + clock(r[0], true) + " → " + clock(r[1], true);
          } } }
        },
        scales: { x: timeAxis(data.start, data.end, withDay), y: { stacked: true } },
        datasets: { bar: { grouped: false } }
      }
    }));
    var lines = [];
    Object.keys(data.power_kw).forEach(function (connector, i) {
      lines.push({
        label: label("power") + " " + connector, yAxisID: "kw", pointRadius: 0, borderWidth: 1.5,
        borderColor: LINE_COLOURS[i % LINE_COLOURS.length],
        data: data.power_kw[connector].map(function (p) { return { x: p[0], y: p[1] }; })
      });
    });
    Object.keys(data.soc_percent).forEach(function (connector, i) {
      lines.push({
        label: label("soc") + " " + connector, yAxisID: "soc", pointRadius: 0, borderWidth: 1.5,
        borderDash: [4, 3], borderColor: LINE_COLOURS[(i + 3) % LINE_COLOURS.length],
        data: data.soc_percent[connector].map(function (p) { return { x: p[0], y: p[1] }; })
      });
    });
    charts.push(new Chart(document.getElementById("chart-power"), {
      type: "line",
      data: { datasets: lines },
      options: {
        animation: false, maintainAspectRatio: false, parsing: false, spanGaps: false,
        scales: {
          x: timeAxis(data.start, data.end, withDay),
          kw: { type: "linear", position: "left", min: 0, title: { display: true, text: "kW" } },
          soc: { type: "linear", position: "right", min: 0, max: 100,
                 title: { display: true, text: "SoC %" }, grid: { drawOnChartArea: false } }
        }
      }
    }));
    statusLine.textContent = "";
    box.setAttribute("data-drawn", data.period);
  }

  function load(period) {
    Array.prototype.forEach.call(box.querySelectorAll("button[data-period]"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-period") === period));
    });
    fetch(box.getAttribute("data-source") + "?period=" + encodeURIComponent(period),
          { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (body) { throw new Error(body.detail || response.status); });
        }
        return response.json();
      })
      .then(draw)
      .catch(function (error) { statusLine.textContent = label("unavailable") + ": " + error.message; });
  }

  box.addEventListener("click", function (event) {
    var period = event.target.getAttribute && event.target.getAttribute("data-period");
    if (period) { load(period); }
  });
  load("24h");
})();
