#include "status_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include <boost/json.hpp>

namespace hserver::ctl {

namespace json = boost::json;

namespace {

const char* const kBold = "\x1b[1m";
const char* const kYellow = "\x1b[33;1m";
const char* const kRed = "\x1b[31m";
const char* const kReset = "\x1b[0m";

std::string text_of(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

std::uint64_t count_of(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64()) return static_cast<std::uint64_t>(std::max<std::int64_t>(0, v->as_int64()));
  return 0;
}

const json::array& array_of(const json::object& o, const char* key) {
  static const json::array empty;
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? v->as_array() : empty;
}

/// Columns sized to their widest cell; numbers right-aligned so that digits line up.
struct Table {
  std::vector<std::string> headers;
  std::vector<bool> right_aligned;
  std::vector<std::vector<std::string>> rows;

  std::vector<std::size_t> widths() const {
    std::vector<std::size_t> w(headers.size());
    for (std::size_t c = 0; c < headers.size(); ++c) w[c] = headers[c].size();
    for (const auto& row : rows) {
      for (std::size_t c = 0; c < row.size(); ++c) w[c] = std::max(w[c], display_width(row[c]));
    }
    return w;
  }

  // UTF-8 aware enough for names: counts code points, not bytes.
  static std::size_t display_width(const std::string& s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
  }

  std::string line(const std::vector<std::string>& cells, const std::vector<std::size_t>& w) const {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::size_t pad = w[c] - std::min(w[c], display_width(cells[c]));
      const bool last = c + 1 == cells.size();
      if (right_aligned[c])
        out += std::string(pad, ' ') + cells[c];
      else
        out += cells[c] + (last ? "" : std::string(pad, ' '));
      if (!last) out += "  ";
    }
    return out;
  }
};

std::string paint(const std::string& text, const char* colour, bool colours) {
  return colours ? colour + text + kReset : text;
}

}  // namespace

std::string format_duration(std::int64_t milliseconds) {
  const std::int64_t s = std::max<std::int64_t>(0, milliseconds) / 1000;
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {:02} s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{} h {:02} min", s / 3600, s % 3600 / 60);
  return fmt::format("{} d {:02} h", s / 86400, s % 86400 / 3600);
}

std::string render_status(const json::object& answer, const StatusViewOptions& options) {
  const auto& routes = array_of(answer, "routes");
  Table route_table{
      {"ROUTE", "PORT", "PREFIX", "MODE", "STATE", "QUEUED", "IN HAND", "WORKERS", "ANSWERED", "ERRORS", "MEAN MS"},
      {false, true, false, false, false, true, true, true, true, true, true},
      {}};
  Table worker_table{
      {"1C PROCESS", "PID", "SLOT", "IN HAND", "ANSWERED", "ATTACHED FOR"}, {false, true, true, true, true, false}, {}};
  // Errors are the 5xx answers (the service's own: timeout, no worker, worker ended; or 1C's): per worker
  // the service keeps no last error, so the route shows how many and which statuses.
  std::vector<std::string> error_lines;
  std::vector<std::vector<std::vector<std::string>>> workers_of(routes.size());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& r = routes[i].as_object();
    std::uint64_t errors = 0;
    std::string by_status;
    if (const auto* statuses = r.if_contains("responses_by_status"); statuses != nullptr && statuses->is_object()) {
      for (const auto& [status, count] : statuses->as_object()) {
        const auto n = count.is_uint64() ? count.as_uint64() : static_cast<std::uint64_t>(count.to_number<double>());
        if (status.size() == 3 && status[0] >= '5') errors += n;
        if (status.size() == 3 && status[0] >= '4')
          by_status += fmt::format("{}{} x{}", by_status.empty() ? "" : ", ", std::string_view(status), n);
      }
    }
    error_lines.push_back(by_status);
    double mean = 0;
    if (const auto* v = r.if_contains("mean_latency_ms"); v != nullptr && v->is_number()) mean = v->to_number<double>();
    const auto paused = r.if_contains("paused");
    const auto& workers = array_of(r, "workers");
    route_table.rows.push_back({text_of(r, "name"), text_of(r, "port"), text_of(r, "path_prefix"), text_of(r, "mode"),
                                paused != nullptr && paused->is_bool() && paused->as_bool() ? "PAUSED" : "serving",
                                text_of(r, "queued"), text_of(r, "in_hand"), std::to_string(workers.size()),
                                text_of(r, "responses"), std::to_string(errors), fmt::format("{:.1f}", mean)});
    for (const auto& w : workers) {
      const auto& o = w.as_object();
      const auto pid = static_cast<std::uint32_t>(count_of(o, "pid"));
      std::string name = options.process_name ? options.process_name(pid) : std::string();
      if (name.empty()) name = "?";
      std::vector<std::string> row{name,
                                   text_of(o, "pid"),
                                   text_of(o, "slot"),
                                   text_of(o, "in_hand"),
                                   text_of(o, "answered"),
                                   format_duration(static_cast<std::int64_t>(count_of(o, "attached_ms")))};
      worker_table.rows.push_back(row);
      workers_of[i].push_back(std::move(row));
    }
  }

  const auto route_widths = route_table.widths();
  const auto worker_widths = worker_table.widths();
  const std::string indent = "    ";
  std::string out = paint(route_table.line(route_table.headers, route_widths), kBold, options.colours) + "\n";
  if (routes.empty()) out += "(no route)\n";
  for (std::size_t i = 0; i < routes.size(); ++i) {
    std::string row = route_table.line(route_table.rows[i], route_widths);
    if (options.colours && route_table.rows[i][4] == "PAUSED") {
      const auto at = row.find("PAUSED");
      row.replace(at, 6, paint("PAUSED", kYellow, true));
    }
    out += row + "\n";
    if (!error_lines[i].empty()) out += indent + "4xx/5xx answers: " + error_lines[i] + "\n";
    if (workers_of[i].empty()) {
      out += indent +
             paint("no worker attached: requests wait no_worker_wait_ms, then get 503", kRed, options.colours) + "\n";
      continue;
    }
    out += indent + paint(worker_table.line(worker_table.headers, worker_widths), kBold, options.colours) + "\n";
    for (const auto& w : workers_of[i]) out += indent + worker_table.line(w, worker_widths) + "\n";
  }
  return out;
}

}  // namespace hserver::ctl
