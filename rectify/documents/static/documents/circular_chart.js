/* 月通报: the bar chart of each unit's score and completion rate, drawn by ECharts (served
   locally) from the figures the page embeds with json_script ("circular-chart-data"). */
(function () {
  "use strict";

  function draw() {
    var el = document.getElementById("circular-chart");
    var blob = document.getElementById("circular-chart-data");
    if (!el || !blob || !window.echarts) {
      return;
    }
    var data = JSON.parse(blob.textContent);
    if (!data.units.length) {
      el.textContent = "暂无数据";
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      color: ["#c00000", "#6c8ebf"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: ["得分", "完成率（%）"], top: 0 },
      grid: { left: 8, right: 32, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: data.full },
      yAxis: { type: "category", inverse: true, data: data.units, axisLabel: { interval: 0 } },
      series: [
        { name: "得分", type: "bar", data: data.scores, label: { show: true, position: "right" } },
        { name: "完成率（%）", type: "bar", data: data.completion }
      ]
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
