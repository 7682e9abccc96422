/* 领导驾驶舱 and county pages: draws every [data-chart] box with ECharts (served locally) from
   the spec the page embeds with json_script (rectify/dashboards/charts.py). A click on a bar or a
   slice opens the list behind it, like the number in the table beside the chart. No inline
   script: the page stays CSP-friendly. Charts are redrawn to the paper's width when printing. */
(function () {
  "use strict";

  var charts = [];

  function percentLabel(value) {
    return value + "%";
  }

  function isEmpty(spec) {
    if (!spec.categories || !spec.categories.length) {
      return true;
    }
    if (spec.type !== "pie") {
      return false; // bars and lines at zero still say something ("0%")
    }
    return spec.series.every(function (s) {
      return s.data.every(function (v) {
        return !v;
      });
    });
  }

  function pieOption(spec) {
    var s = spec.series[0];
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0, type: "scroll" },
      series: [
        {
          name: s.name,
          type: "pie",
          radius: ["35%", "65%"],
          center: ["50%", "45%"],
          label: { formatter: "{b}\n{c}" },
          data: spec.categories.map(function (name, i) {
            return { name: name, value: s.data[i], itemStyle: { color: (s.colors || [])[i] } };
          })
        }
      ]
    };
  }

  function axisOption(spec) {
    var horizontal = !!spec.horizontal;
    var valueAxis = { type: "value", minInterval: 1 };
    if (spec.percent) {
      valueAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: percentLabel } };
    }
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisLabel: horizontal
        ? { interval: 0, width: 120, overflow: "truncate" }
        : {
            interval: spec.type === "line" ? "auto" : 0,
            rotate: spec.type !== "line" && spec.categories.length > 6 ? 30 : 0,
            width: 84,
            overflow: "truncate"
          }
    };
    if (horizontal) {
      categoryAxis.inverse = true;
    }
    var series = spec.series.map(function (s) {
      var kind = s.kind || spec.type;
      var item = {
        name: s.name,
        type: kind,
        data: s.data,
        itemStyle: { color: s.color },
        lineStyle: kind === "line" ? { color: s.color, width: 2 } : undefined,
        symbolSize: 5,
        barMaxWidth: 22
      };
      if (s.stack) {
        item.stack = s.stack;
      }
      if (kind === "bar" && !s.stack && spec.series.length === 1) {
        item.label = { show: true, position: horizontal ? "right" : "top", formatter: spec.percent ? "{c}%" : "{c}" };
      }
      return item;
    });
    return {
      tooltip: { trigger: "axis", axisPointer: { type: spec.type === "line" ? "line" : "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: horizontal ? 8 : 28, right: 28, top: 32, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: series
    };
  }

  function draw(el) {
    var blob = document.getElementById(el.getAttribute("data-chart"));
    if (!blob) {
      return;
    }
    var spec = JSON.parse(blob.textContent);
    if (isEmpty(spec)) {
      el.classList.add("dash-chart-empty");
      el.textContent = "暂无数据";
      return;
    }
    if (spec.horizontal) {
      el.style.height = Math.max(200, spec.categories.length * (spec.series.length > 1 ? 34 : 26) + 70) + "px";
    }
    var chart = window.echarts.init(el, null, {
      renderer: "canvas",
      devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2)
    });
    var option = spec.type === "pie" ? pieOption(spec) : axisOption(spec);
    option.animation = false;
    option.textStyle = { fontFamily: "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif" };
    chart.setOption(option);
    chart.on("click", function (params) {
      var series = spec.series[params.seriesIndex] || {};
      var url = (series.links || [])[params.dataIndex];
      if (url) {
        window.location.href = url;
      }
    });
    charts.push(chart);
  }

  function resizeAll() {
    charts.forEach(function (chart) {
      chart.resize();
    });
  }

  function init() {
    if (!window.echarts) {
      return;
    }
    document.querySelectorAll("[data-chart]").forEach(draw);
    window.addEventListener("resize", resizeAll);
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
    if (window.matchMedia) {
      var print = window.matchMedia("print");
      if (print.addEventListener) {
        print.addEventListener("change", resizeAll);
      }
    }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () {
        select.form.submit();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
