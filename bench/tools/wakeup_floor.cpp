// wakeup-floor: the cheapest cross-process round trip this machine gives, the floor the shared-memory hop is
// measured against (bench/run.sh). Two processes, parent A and child B, each pinned to a CPU; one round trip is
// A waking B and B waking A, and nothing else: no data, no queue, no spinning.
//   --mechanism futex     a word in a MAP_SHARED page made before fork(): A stores and FUTEX_WAKEs, B's
//                         FUTEX_WAIT returns, B does the same on a second word
//   --mechanism eventfd   two eventfds inherited across fork(): a blocking write() on one, read() on the other
//   --cpus A,B            A's CPU and B's CPU (the same CPU twice: both share it, as the service and 1C may);
//                         without it the scheduler places them (the ctest smoke run)
// Prints one line of `key=value` figures: p50, p99 and min of the round trips, in microseconds. The run is
// bounded: --round-trips after --warm-up, or fewer when --seconds run out; a peer that stops answering ends
// it with an error after --seconds plus a grace period. Linux only.

#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_timed_out = 0;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string{}));
}

constexpr int kUnpinned = -1;

void pin_to(int cpu) {
  if (cpu == kUnpinned) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) fail("pinning to CPU " + std::to_string(cpu));
}

// The two words live on separate cache lines, so a store to one does not disturb the waiter on the other.
struct alignas(64) Word {
  std::uint32_t value = 0;
};
struct SharedWords {
  Word to_b;  // A -> B: the number of the round trip B is to answer
  Word to_a;  // B -> A: the number B answered
};

std::uint32_t load(std::uint32_t& word) {
  return std::atomic_ref<std::uint32_t>(word).load(std::memory_order_acquire);
}
void store(std::uint32_t& word, std::uint32_t value) {
  std::atomic_ref<std::uint32_t>(word).store(value, std::memory_order_release);
}

// Shared (not FUTEX_PRIVATE_FLAG) futexes: the page is mapped in two processes.
void futex_wake(std::uint32_t& word) {
  if (::syscall(SYS_futex, &word, FUTEX_WAKE, 1, nullptr, nullptr, 0) < 0) fail("FUTEX_WAKE");
}

// Sleeps until the word is no longer `seen`; returns its new value.
std::uint32_t futex_wait_change(std::uint32_t& word, std::uint32_t seen) {
  std::uint32_t now;
  while ((now = load(word)) == seen) {
    if (::syscall(SYS_futex, &word, FUTEX_WAIT, seen, nullptr, nullptr, 0) < 0 && errno != EAGAIN && errno != EINTR) {
      fail("FUTEX_WAIT");
    }
    if (g_timed_out) {
      errno = 0;
      fail("the peer stopped answering");
    }
  }
  return now;
}

void eventfd_signal(int fd) {
  const std::uint64_t one = 1;
  while (::write(fd, &one, sizeof one) != static_cast<ssize_t>(sizeof one)) {
    if (errno != EINTR || g_timed_out) fail("eventfd write");
  }
}

void eventfd_wait(int fd) {
  std::uint64_t count = 0;
  while (::read(fd, &count, sizeof count) != static_cast<ssize_t>(sizeof count)) {
    if (errno != EINTR) fail("eventfd read");
    if (g_timed_out) {
      errno = 0;
      fail("the peer stopped answering");
    }
  }
}

/// The mechanism both processes use: B's side answers forever, A's side makes one round trip.
class PingPong {
 public:
  explicit PingPong(const std::string& mechanism) : futex_(mechanism == "futex") {
    if (futex_) {
      void* page = ::mmap(nullptr, sizeof(SharedWords), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      if (page == MAP_FAILED) fail("mmap");
      words_ = new (page) SharedWords{};
    } else {
      to_b_ = ::eventfd(0, EFD_CLOEXEC);
      to_a_ = ::eventfd(0, EFD_CLOEXEC);
      if (to_b_ < 0 || to_a_ < 0) fail("eventfd");
    }
  }

  [[noreturn]] void answer_forever() {
    std::uint32_t seen = 0;
    for (;;) {
      if (futex_) {
        seen = futex_wait_change(words_->to_b.value, seen);
        store(words_->to_a.value, seen);
        futex_wake(words_->to_a.value);
      } else {
        eventfd_wait(to_b_);
        eventfd_signal(to_a_);
      }
    }
  }

  void round_trip(std::uint32_t number) {
    if (futex_) {
      const std::uint32_t before = load(words_->to_a.value);
      store(words_->to_b.value, number);
      futex_wake(words_->to_b.value);
      if (futex_wait_change(words_->to_a.value, before) != number) {
        errno = 0;
        fail("B answered another round trip");
      }
    } else {
      eventfd_signal(to_b_);
      eventfd_wait(to_a_);
    }
  }

 private:
  bool futex_;
  SharedWords* words_ = nullptr;
  int to_b_ = -1;
  int to_a_ = -1;
};

double percentile(const std::vector<double>& sorted, double p) {
  const auto at = static_cast<std::size_t>(std::floor(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(at, sorted.size() - 1)];
}

int run(const std::string& mechanism, int cpu_a, int cpu_b, int round_trips, int warm_up, double seconds) {
  PingPong ping_pong(mechanism);
  pin_to(cpu_b);  // refuses a CPU B could not have before there is a B to wait for
  pin_to(cpu_a);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    // B: ends with A, however A ends.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    try {
      pin_to(cpu_b);
      ping_pong.answer_forever();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "wakeup-floor (B): %s\n", e.what());
    }
    ::_exit(1);
  }

  // A watchdog instead of timed waits, so the measured calls are the plain blocking ones. The grace period
  // covers a busy machine; a peer that died or never got a CPU ends the run with an error, not a hang.
  struct sigaction action {};
  action.sa_handler = [](int) { g_timed_out = 1; };  // no SA_RESTART: a blocked wait returns EINTR
  ::sigaction(SIGALRM, &action, nullptr);
  ::alarm(static_cast<unsigned>(std::ceil(seconds)) + 30);

  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(round_trips));
  int status = 0;
  try {
    std::uint32_t number = 0;
    for (int i = 0; i < warm_up; ++i) ping_pong.round_trip(++number);  // page faults, both sides scheduled once
    const auto deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    for (int i = 0; i < round_trips; ++i) {
      const auto start = Clock::now();
      ping_pong.round_trip(++number);
      const auto end = Clock::now();
      micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
      if (end >= deadline) break;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wakeup-floor: %s\n", e.what());
    status = 1;
  }
  ::alarm(0);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  if (status != 0 || micros.empty()) return 1;

  std::sort(micros.begin(), micros.end());
  const std::string placement =
      cpu_a == kUnpinned ? std::string("any") : std::to_string(cpu_a) + "," + std::to_string(cpu_b);
  std::printf("mode=wakeup-floor mechanism=%s cpus=%s round_trips=%zu p50_us=%.2f p99_us=%.2f min_us=%.2f\n",
              mechanism.c_str(), placement.c_str(), micros.size(), percentile(micros, 50), percentile(micros, 99),
              micros.front());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wakeup-floor: a raw two-process futex or eventfd ping-pong, the floor of a cross-process hop"};
  std::string mechanism = "futex";
  std::vector<int> cpus;
  int round_trips = 10000;
  int warm_up = 1000;
  double seconds = 2;
  app.add_option("--mechanism", mechanism)->check(CLI::IsMember({"futex", "eventfd"}))->capture_default_str();
  app.add_option("--cpus", cpus, "A's CPU and B's CPU")->delimiter(',')->expected(2)->capture_default_str();
  app.add_option("--round-trips", round_trips, "measured round trips")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--warm-up", warm_up, "round trips before measuring")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_option("--seconds", seconds, "measure no longer than this")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    for (const int cpu : cpus) {
      if (cpu < 0 || cpu >= CPU_SETSIZE) throw std::invalid_argument("--cpus: no CPU " + std::to_string(cpu));
    }
    const bool pinned = cpus.size() == 2;
    return run(mechanism, pinned ? cpus[0] : kUnpinned, pinned ? cpus[1] : kUnpinned, round_trips, warm_up, seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wakeup-floor: %s\n", e.what());
    return 1;
  }
}
