/* Sparklines of the key figures (ECharts, vendored): the yearly trend to the current value. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("home-charts").textContent);
  document.querySelectorAll(".figure .spark").forEach(function (el) {
    var d = data[el.dataset.key]; if (!d || typeof echarts === "undefined") return;
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false, grid: { left: 2, right: 2, top: 4, bottom: 14 },
      xAxis: { type: "category", data: d.years, axisLabel: { fontSize: 9, interval: "auto" }, axisTick: { show: false } },
      yAxis: { type: "value", show: false, scale: true },
      tooltip: { trigger: "axis" },
      series: [{ type: "line", data: d.values, symbolSize: 4, connectNulls: false, lineStyle: { width: 2 } }]
    });
  });
})();
