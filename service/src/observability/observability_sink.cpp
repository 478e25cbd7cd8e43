#include "observability/observability_sink.hpp"

#include <fmt/format.h>

namespace hserver::service {

namespace {

ResponseEnvelope text(std::uint16_t status, std::string body, std::string type = "text/plain; charset=utf-8") {
  ResponseEnvelope r;
  r.status = status;
  r.headers.push_back({"Content-Type", std::move(type)});
  r.body = std::move(body);
  return r;
}

/// Label values are route names ([A-Za-z0-9_-]): nothing to escape.
void gauge(std::string& out, const char* name, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
}

void counter(std::string& out, const char* name, const char* help, std::uint64_t value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, value);
}

// Credential verification; its refusals (429, 503) are in hserver_http_refused_total.
void append_auth_metrics(std::string& out, const AuthStats& auth) {
  constexpr auto relaxed = std::memory_order_relaxed;
  counter(out, "hserver_auth_verifications_total", "Credentials verified (PBKDF2 for Basic) on the verification pool.",
          auth.verifications.load(relaxed));
  counter(out, "hserver_auth_verification_failures_total", "Verified credentials that were wrong.",
          auth.verification_failures.load(relaxed));
  counter(out, "hserver_auth_cache_hits_total", "Credentials accepted as remembered, without verifying them again.",
          auth.cache_hits.load(relaxed));
  gauge(out, "hserver_auth_verify_queue_depth", "Verifications waiting for a verification thread.");
  out += fmt::format("hserver_auth_verify_queue_depth {}\n", auth.queue_depth.load(relaxed));
  gauge(out, "hserver_auth_throttle_addresses", "Client addresses in the table of failed authentications.");
  out += fmt::format("hserver_auth_throttle_addresses {}\n", auth.tracked_addresses.load(relaxed));
}

}  // namespace

std::string prometheus_text(const std::vector<RouteStatus>& routes, const FrontStats* front,
                            const MemoryBudget* memory_budget) {
  std::string out;
  if (front != nullptr) {
    out +=
        "# HELP hserver_http_refused_total Requests and connections the HTTP front refused or cut, by reason.\n"
        "# TYPE hserver_http_refused_total counter\n";
    for (std::size_t i = 0; i < FrontStats::kNames.size(); ++i) {
      out += fmt::format("hserver_http_refused_total{{reason=\"{}\"}} {}\n", FrontStats::kNames[i],
                         front->value(static_cast<FrontStats::Reason>(i)));
    }
    out +=
        "# HELP hserver_auth_failures_total Failed authentication attempts (401) by route.\n"
        "# TYPE hserver_auth_failures_total counter\n";
    const auto failures = front->auth_failures();
    for (const auto& r : routes) {
      const auto it = failures.find(r.name);
      out += fmt::format("hserver_auth_failures_total{{route=\"{}\"}} {}\n", r.name,
                         it == failures.end() ? 0 : it->second);
    }
    append_auth_metrics(out, front->auth);
  }
  if (memory_budget != nullptr) {
    out += fmt::format(
        "# HELP hserver_memory_budget_bytes Bytes that request bodies and answers may hold at once "
        "(memory_budget_bytes).\n"
        "# TYPE hserver_memory_budget_bytes gauge\n"
        "hserver_memory_budget_bytes {}\n"
        "# HELP hserver_memory_budget_in_use_bytes Bytes that request bodies and answers hold now.\n"
        "# TYPE hserver_memory_budget_in_use_bytes gauge\n"
        "hserver_memory_budget_in_use_bytes {}\n"
        "# HELP hserver_memory_budget_peak_bytes The most they have held at once since the start.\n"
        "# TYPE hserver_memory_budget_peak_bytes gauge\n"
        "hserver_memory_budget_peak_bytes {}\n",
        memory_budget->limit(), memory_budget->in_use(), memory_budget->peak());
  }
  // Every answer: those of dispatch (1C's and its own 503/504) and those the front gave itself (refusals;
  // route "" when the request was refused before a route was chosen).
  std::map<std::pair<std::string, std::uint16_t>, std::uint64_t> answers;
  if (front != nullptr) answers = front->answers();
  for (const auto& r : routes) {
    for (const auto& [status, count] : r.responses_by_status) answers[{r.name, status}] += count;
  }
  out +=
      "# HELP hserver_requests_total Answered requests by route and HTTP status, refusals included.\n"
      "# TYPE hserver_requests_total counter\n";
  for (const auto& [key, count] : answers) {
    out += fmt::format("hserver_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, count);
  }
  out +=
      "# HELP hserver_request_duration_seconds Time from arrival to answer.\n"
      "# TYPE hserver_request_duration_seconds histogram\n";
  for (const auto& r : routes) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < r.latency_buckets.size(); ++i) {
      cumulative += r.latency_buckets[i];
      const std::string le = i < kLatencyBucketsMs.size() ? fmt::format("{}", kLatencyBucketsMs[i] / 1000.0) : "+Inf";
      out +=
          fmt::format("hserver_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", r.name, le, cumulative);
    }
    out += fmt::format("hserver_request_duration_seconds_sum{{route=\"{}\"}} {}\n", r.name, r.latency_sum_ms / 1000.0);
    out += fmt::format("hserver_request_duration_seconds_count{{route=\"{}\"}} {}\n", r.name, cumulative);
  }
  gauge(out, "hserver_queue_depth", "Requests waiting for a worker.");
  for (const auto& r : routes) out += fmt::format("hserver_queue_depth{{route=\"{}\"}} {}\n", r.name, r.queued);
  gauge(out, "hserver_in_hand", "Requests handed to workers and not yet answered.");
  for (const auto& r : routes) out += fmt::format("hserver_in_hand{{route=\"{}\"}} {}\n", r.name, r.in_hand);
  gauge(out, "hserver_workers", "Attached add-ins.");
  for (const auto& r : routes) out += fmt::format("hserver_workers{{route=\"{}\"}} {}\n", r.name, r.workers.size());
  gauge(out, "hserver_paused", "1 while the route is paused.");
  for (const auto& r : routes) out += fmt::format("hserver_paused{{route=\"{}\"}} {}\n", r.name, r.paused ? 1 : 0);
  out +=
      "# HELP hserver_requeued_total Requests given back by a worker that left and served by another.\n"
      "# TYPE hserver_requeued_total counter\n";
  for (const auto& r : routes) out += fmt::format("hserver_requeued_total{{route=\"{}\"}} {}\n", r.name, r.requeued);
  return out;
}

void ObservabilitySink::submit(const std::string&, RequestEnvelope request, Completion done) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (request.method != "GET" && request.method != "HEAD") return done(text(405, "Error: method not allowed"));
  if (path == "/health/live") return done(text(200, "live\n"));
  if (path == "/health/ready") {
    std::string why;
    for (const auto& r : dispatcher_.status()) {
      if (r.paused) why += "route '" + r.name + "' is paused\n";
      if (r.workers.empty()) why += "route '" + r.name + "' has no worker\n";
    }
    return done(why.empty() ? text(200, "ready\n") : text(503, "Error: not ready\n" + why));
  }
  if (path == "/metrics") {
    return done(text(200, prometheus_text(dispatcher_.status(), front_, memory_budget_),
                     "text/plain; version=0.0.4; charset=utf-8"));
  }
  done(text(404, "Error: unknown path (/health/live, /health/ready, /metrics)"));
}

}  // namespace hserver::service
