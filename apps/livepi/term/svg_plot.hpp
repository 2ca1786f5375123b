// svg_plot: line charts written as SVG text, with no plotting library.
//
// A figure is one or more panels side by side under a title and one shared
// legend; each panel has axes with "nice" ticks (1, 2 or 5 times a power of
// ten), grid lines, axis labels, and one polyline per series with a marker at
// each point. livepi bench uses it for its time and speedup plots; nothing in
// it knows about livepi.
//
// Guarantees: render_svg is a pure function of the figure: the same figure
// gives the same bytes, and the result is a well-formed, standalone SVG 1.1
// document (text is escaped, numbers are written in the C locale's format).
// Every series becomes exactly one <polyline> with a data-series attribute
// holding its name, so tools and tests can find it.
//
// Not guaranteed: pixel-exact text widths (the legend's layout estimates them
// from the character count), or a useful picture for data spanning many
// orders of magnitude (the axes are linear).
//
// Lifetime: plain values; no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handoff::livepi {

struct plot_point {
  double x = 0;
  double y = 0;
};

struct plot_series {
  std::string name;  // in the legend and in the polyline's data-series attribute
  std::vector<plot_point> points{};
  std::string colour = "#1f77b4";  // any SVG colour
  double width = 2.2;              // of the line, in pixels
  bool dashed = false;
  bool markers = true;  // a dot at each point
};

struct plot_panel {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<plot_series> series{};
  bool integer_x_ticks = false;  // ticks only at whole numbers (counts of workers, ...)
  bool y_from_zero = true;       // the y axis starts at 0 rather than at the smallest value
  // When set, the region x > shade_from_x is shaded and labelled with
  // shade_label: for example "more workers than cores".
  std::optional<double> shade_from_x{};
  std::string shade_label{};
};

struct plot_figure {
  std::string title;
  std::string subtitle;  // one smaller line under the title; may be empty
  int width = 800;
  int height = 500;
  std::vector<plot_panel> panels;  // laid out left to right, equal widths
};

/// The figure as a complete SVG document (XML declaration included), ending
/// with a newline. Series with no points are left out of the plot but kept
/// in the legend. Any thread.
std::string render_svg(const plot_figure& figure);

/// About `target` evenly spaced round values covering [low, high]: the step
/// is 1, 2 or 5 times a power of ten (at least 1 when `integers`), the first
/// tick is <= low and the last >= high. Needs low <= high. Any thread.
std::vector<double> nice_ticks(double low, double high, int target, bool integers = false);

/// `text` with &, <, >, " and ' replaced by entities, for XML text and attributes. Any thread.
std::string escape_xml(std::string_view text);

}  // namespace handoff::livepi
