#pragma once
/// @brief The real service and real 1C host emulators as separate processes over real shared memory,
/// each test with its own port and shared-memory prefix so tests never see each other's objects.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace hserver::test {

/// Options with fluent setters (designated initializers would warn about the fields left out).
struct ServiceOptions {
  std::string mode = "legacy";
  int request_timeout_ms = 10'000;
  int no_worker_wait_ms = 1'000;
  std::vector<std::string> extra_args;
  /// A JSON array for the config file's "routes", "$PORT" standing for the test's port; empty: one route
  /// given on the command line (--listen, --mode).
  std::string routes_json;
  /// More members of the config file's top-level object (with routes_json), e.g. "\"authentication\": {...}".
  std::string config_json;
  /// The service to run; empty: the one built with the tests (another build, to compare against).
  std::string executable;
  ServiceOptions& with_routes_json(std::string json) {
    routes_json = std::move(json);
    return *this;
  }
  ServiceOptions& with_config_json(std::string json) {
    config_json = std::move(json);
    return *this;
  }
  ServiceOptions& with_executable(std::string path) {
    executable = std::move(path);
    return *this;
  }
  ServiceOptions& with_mode(std::string m) {
    mode = std::move(m);
    return *this;
  }
  ServiceOptions& with_request_timeout_ms(int ms) {
    request_timeout_ms = ms;
    return *this;
  }
  ServiceOptions& with_no_worker_wait_ms(int ms) {
    no_worker_wait_ms = ms;
    return *this;
  }
  ServiceOptions& with_args(std::vector<std::string> args) {
    extra_args = std::move(args);
    return *this;
  }
};

struct HostOptions {
  std::string handler = "echo";
  std::string route;  ///< attach by this route name; empty: by the test's port
  std::string build;  ///< another build folder whose host emulator and add-in to run; empty: this one's
  bool expect_attach = true;
  std::vector<std::string> extra_args;
  HostOptions& with_route(std::string name) {
    route = std::move(name);
    return *this;
  }
  HostOptions& expecting_no_attach() {
    expect_attach = false;
    return *this;
  }
  HostOptions& from_build(std::string folder) {
    build = std::move(folder);
    return *this;
  }
  HostOptions& with_handler(std::string h) {
    handler = std::move(h);
    return *this;
  }
  HostOptions& with_args(std::vector<std::string> args) {
    extra_args = std::move(args);
    return *this;
  }
};

class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// @brief Start the service and wait until it accepts connections.
  void start_service(const ServiceOptions& options = {});
  /// @brief Start a host emulator with the add-in, attached to the test's port, and wait until attached.
  ChildProcess& start_host(const HostOptions& options = {});

  HttpReply get(const std::string& target, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return http_request(port_, "GET", target, {}, {}, timeout);
  }

  /// @brief Run 1chserverctl against this test's service; returns the exit code, output in `out`.
  int ctl(const std::vector<std::string>& args, std::string* out = nullptr);
  /// @brief GET on the service's metrics listener.
  HttpReply metrics_get(const std::string& target) { return http_request(metrics_port_, "GET", target); }
  /// @brief The value of one series (its name with labels, as printed) in a /metrics text, or "<absent>".
  static std::string metric(const std::string& metrics, const std::string& series) {
    const auto at = metrics.find(series + " ");
    if (at == std::string::npos) return "<absent>";
    const auto end = metrics.find('\n', at);
    return metrics.substr(at + series.size() + 1, end - at - series.size() - 1);
  }

  /// @brief Shared-memory objects of this test's prefix still present in /dev/shm (on Linux the service
  /// names none: every channel is an unnamed memfd).
  std::vector<std::string> shm_objects() const;
  /// @brief The environment an add-in process of this test needs to find the service (prefix, attach socket).
  std::vector<std::string> addin_env() const;

  unsigned short port_ = 0;
  unsigned short metrics_port_ = 0;
  std::string admin_socket_;
  std::string attach_dir_;
  std::string attach_socket_;
  std::string prefix_;
  std::string work_dir_;
  std::unique_ptr<ChildProcess> service_;
  std::vector<std::unique_ptr<ChildProcess>> hosts_;
};

}  // namespace hserver::test
