// Interactive charts: every element with data-figure holds a Plotly figure (JSON made by
// the server, kept per data version); draw it with the Plotly bundle served under
// /static/vendor/plotly (no other host, no eval: the page's CSP allows neither).
// Without JavaScript the <noscript> image beside it shows the same chart.
(function () {
  "use strict";
  if (typeof window.Plotly === "undefined") return;
  var config = {
    displaylogo: false,
    responsive: true,
    scrollZoom: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toImage"]
  };
  function draw(element) {
    var figure;
    try {
      figure = JSON.parse(element.getAttribute("data-figure"));
    } catch (error) {
      return;
    }
    var layout = figure.layout || {};
    // narrow screens: legends below, smaller margins (the figure's own size otherwise)
    if (window.matchMedia("(max-width: 600px)").matches) {
      layout.margin = { l: 4, r: 4, t: 8, b: 40 };
      layout.font = Object.assign({}, layout.font || {}, { size: 11 });
    }
    window.Plotly.newPlot(element, figure.data || [], layout, config).then(function () {
      element.setAttribute("data-drawn", "1");
      var holder = element.closest("figure");
      if (holder) holder.classList.add("drawn");
    });
  }
  var elements = document.querySelectorAll("[data-figure]");
  for (var i = 0; i < elements.length; i++) draw(elements[i]);
  document.documentElement.classList.add("js");
})();
