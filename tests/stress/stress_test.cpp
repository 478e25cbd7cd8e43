// Robustness under load, with counts (ctest label `stress`): add-ins killed at random moments, the service
// killed and restarted under attached add-ins, the database-update window under load, and a soak with
// memory and descriptors checked flat. Every loop is bounded in count and time; every test prints what
// it did and what the clients saw.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Clients calling the service without pause from several threads, each request with its own target so
// that every answer can be checked against its request.
class Load {
 public:
  Load(unsigned short port, int threads, std::chrono::milliseconds timeout) : port_(port), timeout_(timeout) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t] { run(t); });
    }
  }
  ~Load() { stop(); }

  void stop() {
    stop_.store(true);
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  std::map<int, std::uint64_t> statuses() const {
    std::lock_guard lock(mutex_);
    return statuses_;
  }
  std::uint64_t total() const {
    std::uint64_t sum = 0;
    for (const auto& [status, count] : statuses()) sum += count;
    return sum;
  }
  std::uint64_t count(int status) const {
    const auto all = statuses();
    const auto it = all.find(status);
    return it == all.end() ? 0 : it->second;
  }
  std::vector<std::string> oddities() const {  // 200 with a wrong body, statuses no one expects
    std::lock_guard lock(mutex_);
    return oddities_;
  }
  std::string summary() const {
    std::string text;
    for (const auto& [status, count] : statuses()) {
      text += (text.empty() ? "" : ", ") + std::to_string(count) + " x " +
              (status == 0 ? "no answer" : std::to_string(status));
    }
    return text;
  }

 private:
  void run(int thread) {
    // Bounded by count as well as by stop(): a test that forgets to stop cannot loop for ever.
    for (std::uint64_t n = 0; n < 1'000'000 && !stop_.load(); ++n) {
      const std::string id = "t" + std::to_string(thread) + "_" + std::to_string(n);
      const HttpReply reply = http_request(port_, "GET", "/" + id, {}, {}, timeout_);
      std::lock_guard lock(mutex_);
      ++statuses_[reply.status];
      if (reply.status == 200 && reply.body != id && oddities_.size() < 20) {
        oddities_.push_back("200 for " + id + " with body '" + reply.body.substr(0, 80) + "'");
      }
      if (reply.status == 0 && oddities_.size() < 20) oddities_.push_back(id + ": no answer: " + reply.error);
    }
  }

  unsigned short port_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<int, std::uint64_t> statuses_;
  std::vector<std::string> oddities_;
  std::vector<std::thread> threads_;
};

// "route 'default': add-in pid 123 left (process ended); 1 request(s) failed, 0 requeued" -> sums.
struct Departures {
  std::uint64_t workers = 0;
  std::uint64_t failed = 0;
  std::uint64_t requeued = 0;
};
Departures departures_in(const std::string& log) {
  static const std::regex line{R"(add-in pid \d+ left \([^)]*\); (\d+) request\(s\) failed, (\d+) requeued)"};
  Departures d;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it) {
    ++d.workers;
    d.failed += std::stoull((*it)[1]);
    d.requeued += std::stoull((*it)[2]);
  }
  return d;
}

// Resident memory in KiB and open descriptors of a process, from /proc.
struct Footprint {
  long rss_kib = 0;
  long fds = 0;
};
long open_descriptors(pid_t pid) {
  long fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); ++it) {
    ++fds;
  }
  return fds;
}
Footprint footprint(pid_t pid) {
  Footprint f;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) f.rss_kib = std::stol(line.substr(6));
  }
  // The fewest of a few looks: a descriptor open for microseconds (the liveness check reads the peer's
  // /proc/<pid>/stat four times a second) is not a leak; a leaked one is there every time.
  f.fds = open_descriptors(pid);
  for (int i = 0; i < 9; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(13));
    f.fds = std::min(f.fds, open_descriptors(pid));
  }
  return f;
}

class Stress : public ServiceFixture {
 protected:
  // How many workers the service has on its route now, from `1chserverctl workers --json`.
  int attached_workers() {
    std::string out;
    if (ctl({"workers", "--json"}, &out) != 0) return -1;
    int count = 0;
    for (auto at = out.find("\"pid\""); at != std::string::npos; at = out.find("\"pid\"", at + 1)) ++count;
    return count;
  }
  bool wait_for_workers(int n, std::chrono::seconds timeout) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      if (attached_workers() == n) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
};

TEST_F(Stress, ChaosKillingAddinsUnderLoadFailsOnlyWhatTheyHeld) {
  constexpr int kWorkers = 4;
  constexpr int kKills = 60;
  start_service(ServiceOptions().with_request_timeout_ms(10'000).with_no_worker_wait_ms(5'000));
  std::vector<ChildProcess*> live;
  for (int i = 0; i < kWorkers; ++i) live.push_back(&start_host());

  Load load(port_, 8, 15s);
  std::mt19937 random(20261126);
  int kills = 0;
  const auto started = Clock::now();
  for (; kills < kKills && Clock::now() - started < 120s; ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + random() % 150));
    const std::size_t victim = random() % live.size();
    live[victim]->signal(SIGKILL);
    ASSERT_TRUE(live[victim]->wait(5s).has_value());
    live[victim] = &start_host();  // 1C is started again, as an administrator or a watchdog would
  }
  std::this_thread::sleep_for(500ms);
  load.stop();

  const Departures gone = departures_in(service_->log());
  std::cout << "chaos: " << kills << " add-ins killed in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count() << " ms; "
            << load.total() << " requests: " << load.summary() << "; service: " << gone.workers << " departures, "
            << gone.failed << " requests failed in hand, " << gone.requeued << " requeued to other add-ins"
            << std::endl;
  EXPECT_GE(kills, 50);
  EXPECT_TRUE(service_->running());
  EXPECT_EQ(load.count(0), 0u) << "requests without an answer";
  EXPECT_TRUE(load.oddities().empty()) << load.oddities().front();
  // Only what a killed add-in had taken fails (502), and exactly those: nothing else is lost.
  EXPECT_EQ(load.count(200) + load.count(502), load.total()) << load.summary();
  EXPECT_EQ(load.count(502), gone.failed);
  EXPECT_EQ(gone.workers, static_cast<std::uint64_t>(kills));
  EXPECT_GT(load.count(200), 1000u);
}

TEST_F(Stress, ServiceKilledAndRestartedUnderAttachedAddins) {
  constexpr int kWorkers = 3;
  constexpr int kRestarts = 5;
  start_service();
  for (int i = 0; i < kWorkers; ++i) start_host();
  ASSERT_TRUE(wait_for_workers(kWorkers, 10s));

  for (int round = 0; round < kRestarts; ++round) {
    const pid_t old_pid = service_->pid();
    service_->signal(SIGKILL);
    ASSERT_TRUE(service_->wait(5s).has_value());
    start_service();
    const auto restarted = Clock::now();
    ASSERT_TRUE(wait_for_workers(kWorkers, 20s)) << "round " << round << ": add-ins did not come back";
    const auto back_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted).count();
    for (int i = 0; i < 20; ++i) {
      const std::string target = "/r" + std::to_string(round) + "_" + std::to_string(i);
      const HttpReply reply = get(target);
      ASSERT_EQ(reply.status, 200) << reply.error << reply.body;
      ASSERT_EQ(reply.body, target.substr(1));
    }
    // Nothing of the killed service is left: every object is the new one's.
    for (const std::string& name : shm_objects()) {
      EXPECT_EQ(name.find(".ch." + std::to_string(old_pid) + "."), std::string::npos) << "stale: " << name;
    }
    std::cout << "restart " << round + 1 << ": " << kWorkers << " add-ins attached again within " << back_ms << " ms; "
              << shm_objects().size() << " shared-memory objects, none stale" << std::endl;
  }
  for (auto& host : hosts_) EXPECT_TRUE(host->running()) << host->log();
  service_->signal(SIGTERM);
  EXPECT_EQ(service_->wait(10s), 0);
  EXPECT_TRUE(shm_objects().empty());
}

TEST_F(Stress, DatabaseUpdateWindowUnderLoadHasNoFailedRequest) {
  start_service(ServiceOptions().with_request_timeout_ms(30'000));
  std::vector<ChildProcess*> workers{&start_host(), &start_host()};
  Load load(port_, 8, 40s);
  std::this_thread::sleep_for(1s);
  const std::uint64_t before = load.total();

  ASSERT_EQ(ctl({"pause"}), 0);
  for (ChildProcess* worker : workers) worker->signal(SIGKILL);  // 1C stopped for the update
  for (ChildProcess* worker : workers) ASSERT_TRUE(worker->wait(5s).has_value());
  std::this_thread::sleep_for(2s);  // the update; clients keep calling
  start_host();
  start_host();
  ASSERT_EQ(ctl({"resume"}), 0);
  std::this_thread::sleep_for(1s);
  load.stop();

  const Departures gone = departures_in(service_->log());
  std::cout << "update window: " << before << " requests before the pause, " << load.total()
            << " in all: " << load.summary() << "; " << gone.failed << " failed in hand at the kill" << std::endl;
  EXPECT_EQ(load.count(200), load.total()) << load.summary();
  EXPECT_TRUE(load.oddities().empty()) << load.oddities().front();
}

TEST_F(Stress, SoakKeepsMemoryAndDescriptorsFlat) {
  const char* env = std::getenv("HSERVER_SOAK_SECONDS");
  const int seconds = env != nullptr ? std::max(20, std::atoi(env)) : 150;
  start_service();
  ChildProcess& first = start_host();
  ChildProcess& second = start_host();
  auto measure = [&] {
    return std::array<Footprint, 3>{footprint(service_->pid()), footprint(first.pid()), footprint(second.pid())};
  };
  // Warm-up: allocator pools, thread stacks, connection buffers reach their working size.
  {
    Load warm(port_, 6, 15s);
    std::this_thread::sleep_for(15s);
  }
  std::this_thread::sleep_for(500ms);  // the clients' connections are closed
  const auto start = measure();
  std::uint64_t requests = 0;
  std::string statuses;
  {
    Load load(port_, 6, 15s);
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    load.stop();
    requests = load.total();
    statuses = load.summary();
    EXPECT_EQ(load.count(200), requests) << statuses;
  }
  std::this_thread::sleep_for(500ms);
  const auto end = measure();
  const char* names[] = {"service", "add-in host 1", "add-in host 2"};
  std::cout << "soak: " << seconds << " s, " << requests << " requests (" << statuses << ")" << std::endl;
  for (int i = 0; i < 3; ++i) {
    std::cout << "  " << names[i] << ": RSS " << start[i].rss_kib << " -> " << end[i].rss_kib << " KiB, fds "
              << start[i].fds << " -> " << end[i].fds << std::endl;
    // Flat: a leak of even a few bytes per request would show as megabytes over this many requests.
    EXPECT_LE(end[i].rss_kib, start[i].rss_kib + start[i].rss_kib / 10 + 2048) << names[i];
    EXPECT_EQ(end[i].fds, start[i].fds) << names[i];
  }
}

}  // namespace
}  // namespace hserver::test
