/* Trend sparklines for the indicator dashboard (ECharts, vendored). Data: the "charts-data" JSON. */
(function () {
  "use strict";
  var el = document.getElementById("charts-data");
  if (!el || typeof echarts === "undefined") { return; }
  var charts = JSON.parse(el.textContent);
  document.querySelectorAll(".spark[data-key], .chart[data-key]").forEach(function (node) {
    var c = charts[node.getAttribute("data-key")];
    if (!c || !c.values.some(function (v) { return v !== null; })) { return; }
    var big = node.classList.contains("chart");
    var chart = echarts.init(node, null, { renderer: "svg" });
    var series = [{ type: "line", data: c.values, connectNulls: false, symbolSize: big ? 6 : 3,
                    lineStyle: { width: big ? 2 : 1.5 }, itemStyle: { color: "#0b5cab" } }];
    if (c.target !== null && c.target !== undefined) {
      series[0].markLine = { silent: true, symbol: "none", label: { show: big, formatter: "目标 {c}" },
                             lineStyle: { type: "dashed", color: "#067647" }, data: [{ yAxis: c.target }] };
    }
    chart.setOption({
      animation: false,
      grid: big ? { left: 50, right: 20, top: 20, bottom: 30 } : { left: 2, right: 2, top: 4, bottom: 4 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: c.years, show: big },
      yAxis: { type: "value", show: big, scale: true },
      series: series
    });
  });
})();
