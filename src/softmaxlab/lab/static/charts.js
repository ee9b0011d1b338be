/* softmaxlab lab: the loss and accuracy curves (uPlot, vendored). The
   curves' numbers are the server's; the charts are made again when the
   page's language changes, since uPlot keeps its titles and labels. */
"use strict";

const Charts = (() => {
  const t = (k, p) => I18n.t(k, p);
  let loss = null, acc = null;
  const make = (el, title, yRange) => new uPlot({
    width: 214, height: 150, title,
    scales: { x: { time: false },
              y: { range: yRange || ((u, lo, hi) => [0, Math.max(0.1, (hi || 0) * 1.08)]) } },
    series: [{ label: t("chart.epoch") },
      { label: t("legend.training"), stroke: "#374151", width: 1.6 },
      { label: t("legend.validation"), stroke: "#e8833a", width: 1.6, dash: [5, 3] }],
    axes: [{ size: 30, font: "11px system-ui" }, { size: 42, font: "11px system-ui" }],
    legend: { show: true, live: false },
    cursor: { show: false },
  }, [[], [], []], document.getElementById(el));
  let last = null;
  return {
    update(c) {
      last = c;
      if (!loss) { loss = make("loss-chart", t("chart.loss"), null); acc = make("acc-chart", t("chart.accuracy"), [0, 1.02]); }
      loss.setData([c.epoch, c.train_loss, c.val_loss]);
      acc.setData([c.epoch, c.train_acc, c.val_acc]);
    },
    relabel() {  // a new language: the charts are made again
      if (loss) { loss.destroy(); acc.destroy(); loss = acc = null; }
      if (last) this.update(last);
    },
  };
})();
