// The global memory budget against a body flood: sixteen clients each send a 40 MiB body to a route
// with no worker attached, so every body the service accepts is held until the no-worker wait ends. With
// a budget of 128 MiB three fit; the rest are refused from their header with 503 + Retry-After, and the
// service's resident memory stays below the budget plus a fixed allowance. RSS and codes are printed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <map>
#include <thread>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // the service runs under a sanitizer: its RSS means little
#else
constexpr bool kSanitized = false;
#endif

constexpr std::uint64_t kBody = 40ull << 20;
constexpr std::uint64_t kBudget = 128ull << 20;
constexpr int kClients = 16;

struct FloodReply {
  int status = 0;
  std::string retry_after;
  std::string body;
  std::uint64_t sent = 0;  // body bytes the client got to send
};

// Sends the header, then the body while watching for an answer: a refused client stops sending at once,
// as a real one reading its socket would. Bounded by `deadline`.
FloodReply flood_once(unsigned short port, Clock::time_point deadline) {
  FloodReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return reply;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);  // completes in the poll below
  std::string out = "POST /flood HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n";
  std::size_t header_left = out.size();
  const std::string chunk(256 * 1024, 'f');
  std::string in;
  std::size_t expected_size = std::string::npos;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const bool sending = reply.sent < kBody;
    if (sending) p.events |= POLLOUT;
    if (::poll(&p, 1, 100) <= 0) continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buffer[16 * 1024];
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      in.append(buffer, static_cast<std::size_t>(n));
      const auto end = in.find("\r\n\r\n");
      if (end != std::string::npos && expected_size == std::string::npos) {
        const auto length_at = in.find("Content-Length: ");
        if (length_at < end) expected_size = end + 4 + std::stoul(in.substr(length_at + 16));
      }
      if (in.size() >= expected_size) break;
    } else if (p.revents & POLLOUT) {
      const char* data = header_left > 0 ? out.data() + (out.size() - header_left) : chunk.data();
      std::size_t size = header_left > 0 ? header_left : std::min<std::uint64_t>(chunk.size(), kBody - reply.sent);
      const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n < 0) continue;  // EAGAIN, or the service closed: the answer, if any, is read above
      if (header_left > 0) {
        header_left -= static_cast<std::size_t>(n);
      } else {
        reply.sent += static_cast<std::uint64_t>(n);
      }
    }
  }
  ::close(fd);
  const auto end = in.find("\r\n\r\n");
  if (in.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return reply;
  reply.status = std::stoi(in.substr(9, 3));
  if (const auto at = in.find("Retry-After: "); at < end) {
    reply.retry_after = in.substr(at + 13, in.find("\r\n", at) - at - 13);
  }
  reply.body = in.substr(end + 4);
  return reply;
}

class MemoryBudgetFlood : public ServiceFixture {};

TEST_F(MemoryBudgetFlood, BodiesBeyondTheBudgetAreRefusedAndTheServiceStaysSmall) {
  // No worker ever attaches: an accepted body is held for the whole no-worker wait, then answered 503.
  ASSERT_NO_FATAL_FAILURE(start_service(
      ServiceOptions().with_mode("http").with_request_timeout_ms(60'000).with_no_worker_wait_ms(15'000).with_args(
          {"--memory-budget-bytes", std::to_string(kBudget)})));
  const long before = rss_kib(service_->pid());

  std::atomic<bool> sampling{true};
  std::atomic<long> peak{before};
  std::thread sampler([&] {
    for (int i = 0; i < 10'000 && sampling.load(); ++i) {
      long now = rss_kib(service_->pid());
      long seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(20ms);
    }
  });
  const auto started = Clock::now();
  const auto deadline = started + 120s;
  std::vector<FloodReply> replies(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) clients.emplace_back([&, i] { replies[i] = flood_once(port_, deadline); });
  for (auto& client : clients) client.join();
  sampling.store(false);
  sampler.join();
  const long after = rss_kib(service_->pid());

  std::map<std::string, int> kinds;
  int refused = 0;
  int held = 0;
  for (const FloodReply& reply : replies) {
    const std::string first_line = reply.body.substr(0, reply.body.find('\n'));
    ++kinds[std::to_string(reply.status) + " \"" + first_line +
            "\" Retry-After: " + (reply.retry_after.empty() ? "-" : reply.retry_after)];
    const bool over_budget = reply.body.find("memory") != std::string::npos;
    if (reply.status == 503 && over_budget) {
      ++refused;
      EXPECT_FALSE(reply.retry_after.empty()) << "a refusal for memory says when to come back";
      EXPECT_LT(reply.sent, kBody) << "refused from its header, the body was not read";
    } else if (reply.status == 503) {
      ++held;  // accepted, held, then "no worker"
    }
  }
  const auto seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << "[ flood    ] " << kClients << " x " << (kBody >> 20) << " MiB, budget " << (kBudget >> 20)
            << " MiB: VmRSS before " << before << " KiB, peak " << peak.load() << " KiB, after " << after << " KiB ("
            << seconds << " s)\n";
  for (const auto& [kind, count] : kinds) std::cout << "[ flood    ]   " << count << " x " << kind << "\n";

  // Three bodies of 40 MiB fit in 128 MiB; nothing is released before the no-worker wait ends.
  EXPECT_EQ(held, 3);
  EXPECT_EQ(refused, kClients - 3);
  if (!kSanitized) {
    // The budget plus a fixed allowance (the process itself, I/O buffers, the flat buffers and stacks).
    EXPECT_LT(peak.load(), static_cast<long>(kBudget >> 10) + 96 * 1024) << "peak VmRSS in KiB";
  }
  // Every answer has been written, so nothing is held any more (the last one a moment after its client
  // read it: polled, bounded).
  HttpReply metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = metrics_get("/metrics");
    if (metrics.body.find("hserver_memory_budget_in_use_bytes 0\n") != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("hserver_memory_budget_in_use_bytes 0\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("hserver_http_refused_total{reason=\"memory_budget\"} " + std::to_string(kClients - 3)),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("hserver_memory_budget_bytes " + std::to_string(kBudget)), std::string::npos);
  const auto peak_at = metrics.body.find("\nhserver_memory_budget_peak_bytes ") + 1;
  ASSERT_NE(peak_at, 0u);
  std::cout << "[ flood    ] " << metrics.body.substr(peak_at, metrics.body.find('\n', peak_at) - peak_at) << "\n";
}

}  // namespace
}  // namespace hserver::test
