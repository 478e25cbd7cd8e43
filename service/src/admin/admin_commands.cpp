#include "admin/admin_commands.hpp"

#include <boost/json.hpp>

namespace hserver::service {

namespace json = boost::json;

namespace {

std::string error_line(const std::string& why) {
  return json::serialize(json::object{{"ok", false}, {"error", why}}) + "\n";
}

std::string routes_line(Dispatcher& dispatcher, json::object extra = {}) {
  json::object answer{{"ok", true}, {"routes", routes_to_json(dispatcher.status())}};
  for (auto& [key, value] : extra) answer[key] = value;
  return json::serialize(answer) + "\n";
}

}  // namespace

json::value routes_to_json(const std::vector<RouteStatus>& routes) {
  json::array out;
  for (const auto& r : routes) {
    json::array workers;
    for (const auto& w : r.workers) {
      workers.push_back(json::object{{"pid", w.pid},
                                     {"slot", w.slot},
                                     {"in_hand", w.in_hand},
                                     {"answered", w.answered},
                                     {"attached_ms", w.attached_ms}});
    }
    json::object statuses;
    std::uint64_t total = 0;
    std::uint64_t errors = 0;  // 5xx: the service's own (timeout, no worker, worker ended) or 1C's
    for (const auto& [status, count] : r.responses_by_status) {
      statuses[std::to_string(status)] = count;
      total += count;
      if (status >= 500) errors += count;
    }
    out.push_back(json::object{{"name", r.name},
                               {"port", r.port},
                               {"path_prefix", r.path_prefix},
                               {"mode", std::string(to_string(r.mode))},
                               {"paused", r.paused},
                               {"queued", r.queued},
                               {"in_hand", r.in_hand},
                               {"workers", std::move(workers)},
                               {"responses", total},
                               {"responses_by_status", std::move(statuses)},
                               {"requeued", r.requeued},
                               {"mean_latency_ms", total == 0 ? 0.0 : r.latency_sum_ms / static_cast<double>(total)},
                               {"errors", errors}});
  }
  return out;
}

void handle_admin_line(std::string_view line, Dispatcher& dispatcher, std::function<void(std::string)> reply) {
  json::error_code ec;
  const json::value request = json::parse(line, ec);
  if (ec || !request.is_object()) return reply(error_line("the request is not a JSON object"));
  const json::object& o = request.as_object();
  const auto text = [&](const char* key) -> std::string {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const std::string command = text("command");
  const std::string route = text("route");
  if (command == "status") return reply(routes_line(dispatcher));
  if (command == "pause" || command == "resume") {
    auto done = command == "pause" ? dispatcher.pause(route) : dispatcher.resume(route);
    return reply(done ? routes_line(dispatcher) : error_line(done.error()));
  }
  if (command == "drain") {
    std::int64_t timeout_ms = 60'000;
    if (const auto* v = o.if_contains("timeout_ms"); v != nullptr && v->is_int64()) timeout_ms = v->as_int64();
    if (timeout_ms <= 0) return reply(error_line("timeout_ms must be positive"));
    auto started = dispatcher.drain(route, std::chrono::milliseconds(timeout_ms), [&dispatcher, reply](bool drained) {
      reply(routes_line(dispatcher, json::object{{"drained", drained}}));
    });
    if (!started) reply(error_line(started.error()));
    return;
  }
  reply(error_line("unknown command '" + command + "' (status, pause, resume, drain)"));
}

}  // namespace hserver::service
