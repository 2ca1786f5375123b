// svg_plot: the layout arithmetic and the SVG text of a figure.
#include "svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace handoff::livepi {

namespace {

// Layout in pixels, for the default 800 x 500 figure and close sizes. The
// margins leave room for the tick labels (left, bottom) and the axis labels.
constexpr double title_y = 24;
constexpr double subtitle_y = 42;
constexpr double legend_y = 64;
constexpr double panel_title_y = 92;
constexpr double plot_top = 104;
constexpr double plot_bottom_margin = 58;
constexpr double plot_left_margin = 66;
constexpr double plot_right_margin = 18;
// An estimate of the width of a character of the 12 px legend font: good
// enough to centre the legend, which has room to spare.
constexpr double legend_char_width = 6.8;

// snprintf rather than streams: the C locale's decimal point whatever the
// program's locale, and no surprises from stream flags.
std::string number(double value, int decimals) {
  if (std::abs(value) < 0.5 * std::pow(10.0, -decimals)) value = 0;  // never "-0.0"
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// Appends each part in turn: cheaper than chains of operator+, and it keeps
// clear of GCC 12's false -Wrestrict warnings about such chains at -O3.
template <typename... Parts>
void append(std::string& out, const Parts&... parts) {
  (out.append(std::string_view(parts)), ...);
}

std::string pixel(double value) { return number(value, 1); }

// Enough decimals to tell consecutive ticks apart, and no more.
int tick_decimals(double step) {
  if (step >= 1) return 0;
  return static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
}

struct range {
  double low = 0;
  double high = 1;
};

// Maps data coordinates of one panel to pixels.
struct frame {
  double left, right, top, bottom;
  range x, y;

  [[nodiscard]] double px(double value) const {
    return left + (value - x.low) / (x.high - x.low) * (right - left);
  }
  [[nodiscard]] double py(double value) const {
    return bottom - (value - y.low) / (y.high - y.low) * (bottom - top);
  }
};

std::string line_style(const plot_series& s, double width) {
  std::string style;
  append(style, "fill=\"none\" stroke=\"", escape_xml(s.colour), "\" stroke-width=\"", number(width, 1),
         "\" stroke-linejoin=\"round\" stroke-linecap=\"round\"");
  if (s.dashed) style += " stroke-dasharray=\"7 5\"";
  return style;
}

void text(std::string& out, double x, double y, std::string_view anchor, int size, std::string_view body,
          std::string_view extra = {}) {
  append(out, "<text x=\"", pixel(x), "\" y=\"", pixel(y), "\" text-anchor=\"", anchor, "\" font-size=\"",
         std::to_string(size), "\"");
  if (!extra.empty()) append(out, " ", extra);
  append(out, ">", escape_xml(body), "</text>\n");
}

void legend(std::string& out, const plot_figure& figure) {
  // One entry per distinct name, styled as its first series.
  std::vector<const plot_series*> entries;
  for (const auto& panel : figure.panels) {
    for (const auto& s : panel.series) {
      const bool seen = std::any_of(entries.begin(), entries.end(),
                                    [&](const plot_series* e) { return e->name == s.name; });
      if (!seen && !s.name.empty()) entries.push_back(&s);
    }
  }
  constexpr double sample_width = 26;
  constexpr double gap = 22;
  double total = 0;
  for (const auto* e : entries) total += sample_width + 6 + legend_char_width * e->name.size() + gap;
  total -= gap;
  double x = (figure.width - total) / 2;
  out += "<g class=\"legend\">\n";
  for (const auto* e : entries) {
    append(out, "<line x1=\"", pixel(x), "\" y1=\"", pixel(legend_y), "\" x2=\"", pixel(x + sample_width),
           "\" y2=\"", pixel(legend_y), "\" ", line_style(*e, e->width + 0.3), "/>\n");
    if (e->markers) {
      append(out, "<circle cx=\"", pixel(x + sample_width / 2), "\" cy=\"", pixel(legend_y),
             "\" r=\"3.5\" fill=\"", escape_xml(e->colour), "\" stroke=\"white\" stroke-width=\"1\"/>\n");
    }
    text(out, x + sample_width + 6, legend_y + 4, "start", 12, e->name);
    x += sample_width + 6 + legend_char_width * e->name.size() + gap;
  }
  out += "</g>\n";
}

void panel(std::string& out, const plot_panel& p, double x0, double width, double height) {
  // The data's extent over every series.
  double x_min = std::numeric_limits<double>::infinity();
  double x_max = -x_min;
  double y_min = x_min;
  double y_max = -x_min;
  for (const auto& s : p.series) {
    for (const auto& point : s.points) {
      x_min = std::min(x_min, point.x);
      x_max = std::max(x_max, point.x);
      y_min = std::min(y_min, point.y);
      y_max = std::max(y_max, point.y);
    }
  }
  if (!(x_min <= x_max)) {  // no points at all
    x_min = 0;
    x_max = 1;
    y_min = 0;
    y_max = 1;
  }
  if (p.y_from_zero) y_min = std::min(0.0, y_min);
  if (y_max == y_min) y_max = y_min + 1;
  if (x_max == x_min) {
    x_min -= 0.5;
    x_max += 0.5;
  }

  // Headroom above the highest point so that it never sits on the frame,
  // then the y axis ends on ticks; the x axis gets a little padding instead
  // so that the first and last points are not on the axes.
  const auto y_ticks = nice_ticks(y_min, y_max + 0.04 * (y_max - y_min), 6);
  const double x_pad = 0.04 * (x_max - x_min);
  frame f{x0 + plot_left_margin,       x0 + width - plot_right_margin, plot_top,
          height - plot_bottom_margin, {x_min - x_pad, x_max + x_pad}, {y_ticks.front(), y_ticks.back()}};
  auto x_ticks = nice_ticks(x_min, x_max, 8, p.integer_x_ticks);
  std::erase_if(x_ticks, [&](double t) { return t < f.x.low - 1e-9 || t > f.x.high + 1e-9; });

  out += "<g class=\"panel\">\n";
  text(out, (f.left + f.right) / 2, panel_title_y, "middle", 13, p.title, "font-weight=\"bold\"");

  if (p.shade_from_x && *p.shade_from_x < f.x.high) {
    const double from = std::max(f.left, f.px(*p.shade_from_x));
    append(out, "<rect x=\"", pixel(from), "\" y=\"", pixel(f.top), "\" width=\"", pixel(f.right - from),
           "\" height=\"", pixel(f.bottom - f.top), "\" fill=\"#f1f1f1\"/>\n");
    if (!p.shade_label.empty()) {
      text(out, f.right - 5, f.top + 14, "end", 10, p.shade_label, "fill=\"#777777\"");
    }
  }

  // Grid and ticks.
  const int y_decimals = tick_decimals(y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1);
  for (const double t : y_ticks) {
    const double y = f.py(t);
    append(out, "<line x1=\"", pixel(f.left), "\" y1=\"", pixel(y), "\" x2=\"", pixel(f.right), "\" y2=\"",
           pixel(y), "\" stroke=\"#dddddd\" stroke-width=\"1\"/>\n");
    append(out, "<line x1=\"", pixel(f.left - 5), "\" y1=\"", pixel(y), "\" x2=\"", pixel(f.left), "\" y2=\"",
           pixel(y), "\" stroke=\"#333333\" stroke-width=\"1\"/>\n");
    text(out, f.left - 8, y + 4, "end", 11, number(t, y_decimals));
  }
  const int x_decimals = tick_decimals(x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1);
  for (const double t : x_ticks) {
    const double x = f.px(t);
    append(out, "<line x1=\"", pixel(x), "\" y1=\"", pixel(f.top), "\" x2=\"", pixel(x), "\" y2=\"",
           pixel(f.bottom), "\" stroke=\"#eeeeee\" stroke-width=\"1\"/>\n");
    append(out, "<line x1=\"", pixel(x), "\" y1=\"", pixel(f.bottom), "\" x2=\"", pixel(x), "\" y2=\"",
           pixel(f.bottom + 5), "\" stroke=\"#333333\" stroke-width=\"1\"/>\n");
    text(out, x, f.bottom + 18, "middle", 11, number(t, x_decimals));
  }

  // Axes, drawn over the grid.
  append(out, "<polyline class=\"axes\" points=\"", pixel(f.left), ",", pixel(f.top), " ", pixel(f.left), ",",
         pixel(f.bottom), " ", pixel(f.right), ",", pixel(f.bottom),
         "\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1.2\"/>\n");
  text(out, (f.left + f.right) / 2, f.bottom + 40, "middle", 12, p.x_label);
  const double label_x = x0 + 16;
  const double label_y = (f.top + f.bottom) / 2;
  std::string rotate;
  append(rotate, "transform=\"rotate(-90 ", pixel(label_x), " ", pixel(label_y), ")\"");
  text(out, label_x, label_y, "middle", 12, p.y_label, rotate);

  // The series, in order: later ones are drawn over earlier ones.
  for (const auto& s : p.series) {
    if (s.points.empty()) continue;
    std::string coordinates;
    for (const auto& point : s.points) {
      if (!coordinates.empty()) coordinates += ' ';
      append(coordinates, pixel(f.px(point.x)), ",", pixel(f.py(point.y)));
    }
    append(out, "<polyline data-series=\"", escape_xml(s.name), "\" points=\"", coordinates, "\" ",
           line_style(s, s.width), "/>\n");
    if (s.markers) {
      for (const auto& point : s.points) {
        append(out, "<circle cx=\"", pixel(f.px(point.x)), "\" cy=\"", pixel(f.py(point.y)),
               "\" r=\"3.5\" fill=\"", escape_xml(s.colour), "\" stroke=\"white\" stroke-width=\"1\"/>\n");
      }
    }
  }
  out += "</g>\n";
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int target, bool integers) {
  target = std::max(target, 2);
  double span = high - low;
  if (span <= 0) span = std::max(std::abs(high), 1.0);
  const double raw = span / (target - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double residual = raw / magnitude;
  // The round step nearest to the raw one (rather than the next above it):
  // 1..16 gets ticks every 2, not every 5.
  double step = (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10) * magnitude;
  if (integers) step = std::max(step, 1.0);
  // Ticks are computed as first + i * step (not by adding step up) so that
  // rounding errors do not accumulate.
  const double first = std::floor(low / step + 1e-9) * step;
  std::vector<double> ticks;
  for (int i = 0;; ++i) {
    const double t = first + i * step;
    ticks.push_back(t);
    if (t >= high - 1e-9 * step && i >= 1) break;
  }
  return ticks;
}

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_svg(const plot_figure& figure) {
  const std::string w = std::to_string(figure.width);
  const std::string h = std::to_string(figure.height);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  append(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"", w, "\" height=\"", h,
         "\" viewBox=\"0 0 ", w, " ", h,
         "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" fill=\"#222222\">\n");
  append(out, "<rect width=\"", w, "\" height=\"", h, "\" fill=\"white\"/>\n");
  text(out, figure.width / 2.0, title_y, "middle", 16, figure.title, "font-weight=\"bold\"");
  if (!figure.subtitle.empty()) {
    text(out, figure.width / 2.0, subtitle_y, "middle", 11, figure.subtitle, "fill=\"#555555\"");
  }
  legend(out, figure);
  if (!figure.panels.empty()) {
    const double panel_width = static_cast<double>(figure.width) / static_cast<double>(figure.panels.size());
    for (std::size_t i = 0; i < figure.panels.size(); ++i) {
      panel(out, figure.panels[i], static_cast<double>(i) * panel_width, panel_width, figure.height);
    }
  }
  out += "</svg>\n";
  return out;
}

}  // namespace handoff::livepi
