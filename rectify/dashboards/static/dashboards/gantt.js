/* 挂图作战: the Gantt, drawn by ECharts (served locally) on a canvas from the rows the page
   embeds with json_script ("gantt-data"). Only the rows inside the vertical window are drawn
   (a dataZoom with weakFilter), so a few thousand rows scroll smoothly; the page's own table view
   is built from the same rows when it is opened. */
(function () {
  "use strict";

  var COLORS = { red: "#d63939", yellow: "#e8a317", green: "#2f9e44", none: "#8c99a6" };
  var LEVELS = { red: "红色预警", yellow: "黄色预警", green: "绿色", none: "未评估" };
  var DONE = "#4a6fa5";
  var TODAY = "#c00000";
  var ROW = 26; // px per row
  var TOP = 40; // the time axis
  var BOTTOM = 34; // the time slider

  function day(iso) {
    var p = iso.split("-");
    return new Date(+p[0], +p[1] - 1, +p[2]).getTime();
  }

  function esc(text) {
    return String(text == null ? "" : text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  function isGroup(row) {
    return row.kind === "chapter" || row.kind === "unit";
  }

  var patterns = {};
  function hatch(colour) {
    if (!patterns[colour]) {
      var c = document.createElement("canvas");
      c.width = 8;
      c.height = 8;
      var g = c.getContext("2d");
      g.fillStyle = colour;
      g.globalAlpha = 0.2;
      g.fillRect(0, 0, 8, 8);
      g.globalAlpha = 1;
      g.strokeStyle = colour;
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(0, 8);
      g.lineTo(8, 0);
      g.moveTo(-2, 2);
      g.lineTo(2, -2);
      g.moveTo(6, 10);
      g.lineTo(10, 6);
      g.stroke();
      patterns[colour] = { image: c, repeat: "repeat" };
    }
    return patterns[colour];
  }

  function prepare(data) {
    // Each share's unit is its group row; each share's text is kept once per measure.
    var unit = "";
    data.rows.forEach(function (row) {
      if (row.kind === "unit") {
        unit = row.label;
      } else if (row.kind === "share") {
        row.unit = unit;
        row.text = data.texts[String(row.measure_id)] || "";
      }
    });
    return data;
  }

  function labelOf(row) {
    var indent = row.level > 0 ? new Array(row.level + 1).join("\u3000") : "";
    if (row.kind === "chapter") {
      return row.label;
    }
    if (row.kind === "unit") {
      return row.label + "（" + row.count + "项）";
    }
    return indent + row.label + " " + (row.text || "");
  }

  function dates(row) {
    if (row.kind === "unit" || row.kind === "chapter") {
      return "";
    }
    var end = row.open_ended ? "持续（延伸至图末）" : row.end;
    return (row.start || "") + " 至 " + end;
  }

  function tooltip(row, today) {
    var lines = ["<strong>" + esc(row.label) + "</strong>" + (row.unit ? " · " + esc(row.unit) : "")];
    if (row.text) {
      lines.push('<span style="white-space:normal">' + esc(row.text) + "</span>");
    }
    lines.push("整改时限：" + esc(row.deadline || "—") + (row.extended ? "（本单位已延期）" : ""));
    lines.push("时间：" + esc(dates(row)));
    var state = "状态：" + esc(row.status_label || "—");
    if (row.progress != null) {
      state += " · 进度 " + Math.round(row.progress) + "%";
    }
    state += " · 预警：" + esc(LEVELS[row.warning || "none"]);
    lines.push(state);
    if (row.overdue && row.end) {
      var days = Math.round((day(today) - day(row.end)) / 86400000);
      lines.push('<span style="color:' + TODAY + '">逾期 ' + days + " 天</span>");
    }
    (row.milestones || []).forEach(function (m) {
      lines.push(
        (m.reached ? "◆ " : "◇ ") + esc(m.label) + "（" + m.date + "，" + (m.reached ? "已完成" : m.overdue ? "已过期未完成" : "未完成") + "）"
      );
    });
    if (row.ticks && row.ticks.length) {
      lines.push("各期到期日：" + esc(row.ticks.slice(0, 6).join("、")) + (row.ticks.length > 6 ? " …" : ""));
    }
    lines.push('<span style="color:#6c757d">点击打开问题页面</span>');
    return '<div style="max-width:360px">' + lines.join("<br>") + "</div>";
  }

  function renderer(rows, data) {
    var today = day(data.today);
    return function (params, api) {
      var i = api.value(0);
      var row = rows[i];
      var cs = params.coordSys;
      var clip = { x: cs.x, y: cs.y, width: cs.width, height: cs.height };
      var y = api.coord([api.value(1), i])[1];
      var band = api.size([0, 1])[1];
      var children = [];
      function rect(x, top, width, height, style) {
        var shape = window.echarts.graphic.clipRectByRect({ x: x, y: top, width: width, height: height }, clip);
        if (shape) {
          children.push({ type: "rect", shape: shape, style: style });
        }
      }
      function inside(x) {
        return x >= cs.x && x <= cs.x + cs.width;
      }
      if (isGroup(row)) {
        rect(cs.x, y - band / 2, cs.width, band, { fill: "#e9eef4" });
        return { type: "group", children: children, silent: true };
      }
      var x1 = api.coord([api.value(1), i])[0];
      var x2 = api.coord([api.value(2), i])[0];
      var h = row.kind === "problem" ? Math.min(14, band * 0.56) : Math.min(10, band * 0.42);
      var top = y - h / 2;
      var colour = row.done ? DONE : COLORS[row.warning || "none"] || COLORS.none;
      if (row.open_ended) {
        rect(x1, top, x2 - x1, h, { fill: hatch(colour), stroke: colour, lineWidth: 1 });
      } else {
        if (row.overdue) {
          var xt = api.coord([today, i])[0];
          if (xt > x2) {
            rect(x2, y - 2, xt - x2, 4, { fill: COLORS.red, opacity: 0.5 });
          }
        }
        var style = { fill: colour };
        if (row.kind === "problem") {
          style.stroke = "#333";
          style.lineWidth = 1;
        }
        rect(x1, top, Math.max(x2 - x1, 3), h, style);
        if (!row.done && row.progress > 0) {
          rect(x1, top + h - 3, (Math.max(x2 - x1, 3) * Math.min(row.progress, 100)) / 100, 3, {
            fill: "rgba(0,0,0,0.45)"
          });
        }
      }
      if (row.done) {
        var xc = row.open_ended ? x1 + 4 : Math.max(x2, x1 + 3) + 3;
        if (inside(xc)) {
          children.push({
            type: "text",
            style: { text: "✓", x: xc, y: y, fill: row.open_ended ? "#fff" : DONE, font: "bold 12px sans-serif", verticalAlign: "middle" }
          });
        }
      }
      (row.ticks || []).forEach(function (t) {
        var x = api.coord([day(t), i])[0];
        if (inside(x)) {
          children.push({ type: "line", shape: { x1: x, y1: top - 3, x2: x, y2: top + h + 3 }, style: { stroke: "#222", lineWidth: 1.5 } });
        }
      });
      (row.milestones || []).forEach(function (m) {
        var x = api.coord([day(m.date), i])[0];
        if (inside(x)) {
          children.push({
            type: "polygon",
            shape: { points: [[x, y - 6], [x + 6, y], [x, y + 6], [x - 6, y]] },
            style: m.reached
              ? { fill: "#1b5e20", stroke: "#fff", lineWidth: 1.5 }
              : { fill: "#fff", stroke: m.overdue ? TODAY : "#222", lineWidth: 1.5 }
          });
        }
      });
      return { type: "group", children: children };
    };
  }

  function buildTable(rows) {
    var body = document.querySelector("#gantt-table tbody");
    if (!body || body.childElementCount) {
      return;
    }
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var first = document.createElement("td");
      first.className = "level-" + row.level;
      if (row.url) {
        var a = document.createElement("a");
        a.href = row.url;
        a.textContent = row.label + " " + (row.text || "");
        first.appendChild(a);
      } else {
        first.textContent = labelOf(row);
        first.colSpan = 7;
      }
      tr.appendChild(first);
      if (row.url) {
        [
          row.start || "",
          row.open_ended ? "持续" : row.end || "",
          row.deadline || "",
          row.status_label,
          LEVELS[row.warning || "none"],
          row.progress == null ? "—" : Math.round(row.progress) + "%"
        ].forEach(function (text) {
          var td = document.createElement("td");
          td.textContent = text || "";
          tr.appendChild(td);
        });
      }
      fragment.appendChild(tr);
    });
    body.appendChild(fragment);
  }

  function draw() {
    var el = document.getElementById("gantt-chart");
    var blob = document.getElementById("gantt-data");
    if (!el || !blob) {
      return;
    }
    // Marks read by bench/bench_gantt.py: where the time to a drawn chart goes.
    performance.mark("gantt-start");
    var data = prepare(JSON.parse(blob.textContent));
    performance.mark("gantt-data");
    var rows = data.rows;
    var details = document.getElementById("gantt-table-details");
    if (details) {
      details.addEventListener("toggle", function () {
        if (details.open) {
          buildTable(rows);
        }
      });
    }
    if (!window.echarts) {
      el.textContent = "图表组件未能加载，请使用下方的表格查看。";
      return;
    }
    if (!rows.length) {
      el.style.height = "120px";
      el.innerHTML = '<p class="text-center text-muted pt-5 mb-0">没有符合条件的整改任务</p>';
      el.dataset.drawn = "1";
      el.dataset.drawnMs = String(performance.now());
      return;
    }
    var start = day(data.start);
    var end = day(data.end);
    var seriesData = rows.map(function (row, i) {
      if (isGroup(row) || !row.start) {
        return [i, start, end];
      }
      return [i, day(row.start), row.open_ended || !row.end ? end : day(row.end)];
    });
    var chart = null;
    var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    var lastTap = -1;
    var visible = 0;

    function layout() {
      var width = el.clientWidth || 800;
      var labelWidth = Math.round(Math.max(118, Math.min(380, width * 0.3)));
      var wanted = rows.length * ROW + TOP + BOTTOM;
      var height = Math.max(220, Math.min(wanted, Math.max(320, window.innerHeight - 70)));
      el.style.height = height + "px";
      visible = Math.max(1, Math.floor((height - TOP - BOTTOM) / ROW));
      return { labelWidth: labelWidth, height: height, small: width < 600 };
    }

    function options(box, first) {
      var fontSize = box.small ? 11 : 12;
      var option = {
        // outerBoundsMode "none": the labels live in the left margin we give them (ECharts 6
        // would otherwise add their width to it).
        grid: {
          left: box.labelWidth,
          right: rows.length > visible ? 26 : 12,
          top: TOP,
          bottom: BOTTOM,
          containLabel: false,
          outerBoundsMode: "none"
        },
        yAxis: {
          axisLabel: { width: box.labelWidth - 10, margin: box.labelWidth - 4, fontSize: fontSize }
        },
        dataZoom: [
          { id: "rows", show: rows.length > visible },
          { id: "time" }
        ]
      };
      if (first) {
        option.dataZoom[0].startValue = 0;
        option.dataZoom[0].endValue = visible - 1;
      } else {
        var zoom = chart.getOption().dataZoom[0];
        var from = Math.max(0, Math.min(zoom.startValue || 0, rows.length - visible));
        option.dataZoom[0].startValue = from;
        option.dataZoom[0].endValue = from + visible - 1;
      }
      return option;
    }

    // Size the box first and set everything in one setOption: each call is a full render.
    var box = layout();
    chart = window.echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
    var first = options(box, true);
    var base = {
      animation: false,
      textStyle: { fontFamily: "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif" },
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (p) {
          var row = rows[p.value[0]];
          return row && !isGroup(row) ? tooltip(row, data.today) : "";
        }
      },
      xAxis: {
        type: "time",
        position: "top",
        min: start,
        max: end,
        axisLine: { show: false },
        axisTick: { show: false },
        splitLine: { show: true, lineStyle: { color: "#edf0f3" } },
        axisLabel: {
          hideOverlap: true,
          color: "#495057",
          formatter: { year: "{yyyy}年", month: "{M}月", day: "{M}月{d}日" }
        }
      },
      grid: first.grid,
      yAxis: {
        type: "category",
        inverse: true,
        triggerEvent: true,
        data: rows.map(function (row, i) {
          // An item's textStyle replaces the axis label's: it repeats the alignment.
          var style = { align: "left", color: "#343a40" };
          if (isGroup(row)) {
            style.fontWeight = "bold";
            style.color = "#1f2d3d";
          } else if (row.kind === "problem") {
            style.fontWeight = "bold";
            style.color = "#212529";
          } else if (row.overdue) {
            style.color = "#b3261e";
          }
          return { value: String(i), textStyle: style };
        }),
        axisLine: { show: false },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: {
          interval: 0,
          align: "left",
          overflow: "truncate",
          ellipsis: "…",
          width: first.yAxis.axisLabel.width,
          margin: first.yAxis.axisLabel.margin,
          fontSize: first.yAxis.axisLabel.fontSize,
          formatter: function (value) {
            return labelOf(rows[+value]);
          }
        }
      },
      dataZoom: [
        {
          id: "rows",
          type: "slider",
          yAxisIndex: 0,
          filterMode: "weakFilter",
          width: 14,
          right: 4,
          top: TOP,
          bottom: BOTTOM,
          showDetail: false,
          showDataShadow: false,
          brushSelect: false,
          zoomLock: true,
          handleSize: 0,
          show: first.dataZoom[0].show,
          startValue: first.dataZoom[0].startValue,
          endValue: first.dataZoom[0].endValue
        },
        {
          type: "inside",
          yAxisIndex: 0,
          filterMode: "weakFilter",
          zoomOnMouseWheel: false,
          moveOnMouseWheel: true,
          moveOnMouseMove: true
        },
        {
          id: "time",
          type: "slider",
          xAxisIndex: 0,
          filterMode: "weakFilter",
          height: 16,
          bottom: 8,
          showDataShadow: false,
          brushSelect: false,
          labelFormatter: function (value) {
            var d = new Date(value);
            return d.getFullYear() + "年" + (d.getMonth() + 1) + "月";
          }
        }
      ],
      series: [
        {
          type: "custom",
          renderItem: renderer(rows, data),
          encode: { x: [1, 2], y: 0 },
          data: seriesData,
          cursor: "pointer",
          clip: true
        },
        {
          type: "line",
          data: [],
          silent: true,
          markLine: {
            silent: true,
            symbol: ["none", "none"],
            animation: false,
            lineStyle: { color: TODAY, type: "dashed", width: 1.5 },
            label: { formatter: "今天", color: TODAY, fontWeight: "bold", position: "end", distance: 2 },
            data: [{ xAxis: day(data.today) }]
          }
        }
      ]
    };
    chart.on("finished", function () {
      if (!el.dataset.drawn) {
        el.dataset.drawn = "1";
        el.dataset.drawnMs = String(performance.now());
      }
    });
    chart.on("click", function (p) {
      var index = -1;
      if (p.componentType === "series" && p.value) {
        index = p.value[0];
      } else if (p.componentType === "yAxis") {
        index = +p.value;
      }
      var row = rows[index];
      if (!row || !row.url) {
        return;
      }
      if (coarse && lastTap !== index) {
        // On a touch screen the first tap shows the details; the second opens the problem.
        lastTap = index;
        return;
      }
      window.location.href = row.url;
    });
    chart.setOption(base);
    performance.mark("gantt-options");

    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        var next = layout();
        chart.resize();
        chart.setOption(options(next, false));
      }, 100);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
