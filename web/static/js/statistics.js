// The statistics pages' charts, drawn by Chartist from the table right below each one: the table is the source
// and the accessible version, so a chart can never show other numbers than the page, and without scripts the
// page is complete. Loaded by the statistics pages only.
(function () {
  "use strict";

  const Chartist = globalThis.Chartist;
  if (!Chartist) return;

  // The Content-Security-Policy allows no style attribute (style-src 'self'): Chartist writes a few (the SVG's
  // size, its labels' overflow). Set them through the CSSOM instead, which the policy allows.
  const attr = Chartist.Svg.prototype.attr;
  Chartist.Svg.prototype.attr = function (attributes, namespace) {
    if (attributes && typeof attributes === "object" && typeof attributes.style === "string") {
      const rest = Object.assign({}, attributes);
      delete rest.style;
      for (const rule of attributes.style.split(";")) {
        const colon = rule.indexOf(":");
        if (colon > 0) this._node.style.setProperty(rule.slice(0, colon).trim(), rule.slice(colon + 1).trim());
      }
      return attr.call(this, rest, namespace);
    }
    return attr.call(this, attributes, namespace);
  };

  const language = document.documentElement.lang || "ru";
  const compact = new Intl.NumberFormat(language, { notation: "compact", maximumFractionDigits: 1 });
  const whole = new Intl.NumberFormat(language, { maximumFractionDigits: 0 });
  const SERIES_CLASSES = ["ct-series-a", "ct-series-b", "ct-series-c", "ct-series-d", "ct-series-e"];

  // The series a chart shows: its table's columns marked data-series, a value per year row (tyiyn as som).
  function read(table, money) {
    const heads = Array.from(table.querySelectorAll("thead th"));
    const columns = heads
      .map(function (th, index) { return { index: index, name: th.textContent.trim(), key: th.dataset.series }; })
      .filter(function (column) { return column.key; });
    const rows = Array.from(table.querySelectorAll("tbody tr[data-year]"));
    return {
      labels: rows.map(function (row) { return row.dataset.year; }),
      names: columns.map(function (column) { return column.name; }),
      series: columns.map(function (column) {
        return rows.map(function (row) {
          const value = Number(row.children[column.index].dataset.value || 0);
          return money ? value / 100 : value;
        });
      }),
    };
  }

  function legend(container, names) {
    const list = document.createElement("ul");
    list.className = "chart-legend";
    names.forEach(function (name, index) {
      const item = document.createElement("li");
      item.className = SERIES_CLASSES[index % SERIES_CLASSES.length];
      item.textContent = name;
      list.appendChild(item);
    });
    list.setAttribute("aria-hidden", "true");  // the table's headers name the series for everyone
    container.after(list);
  }

  for (const container of document.querySelectorAll("[data-chart]")) {
    const table = document.getElementById(container.dataset.table);
    if (!table) continue;
    const kind = container.dataset.chart;
    const money = kind !== "outcomes";
    const data = read(table, money);
    if (!data.labels.length) continue;
    new Chartist.BarChart(
      container,
      { labels: data.labels, series: data.series },
      {
        height: "15rem",
        stackBars: kind === "outcomes",
        seriesBarDistance: 12,
        chartPadding: { top: 10, right: 5, bottom: 0, left: 0 },
        axisX: { showGrid: false },
        axisY: {
          onlyInteger: true,
          offset: 44,
          labelInterpolationFnc: function (value) { return money ? compact.format(value) : whole.format(value); },
        },
      },
    );
    legend(container, data.names);
  }
})();
