#include "support/fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace hserver::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

void ServiceFixture::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  prefix_ =
      "hsit-" + std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(info) % 100000);
  work_dir_ = (fs::temp_directory_path() / ("hserver-it-" + std::to_string(::getpid())) / info->name()).string();
  fs::remove_all(work_dir_);
  fs::create_directories(work_dir_);
  port_ = free_port();
  metrics_port_ = free_port();
  admin_socket_ = work_dir_ + "/admin.sock";
  // Short (a socket path has at most 107 bytes) and in a folder of its own that the service creates 0750.
  attach_dir_ = (fs::temp_directory_path() / prefix_).string();
  fs::remove_all(attach_dir_);
  attach_socket_ = attach_dir_ + "/attach.sock";
}

void ServiceFixture::TearDown() {
  hosts_.clear();  // SIGKILL whatever still runs
  service_.reset();
  if (HasFailure()) {
    std::cerr << "logs kept in " << work_dir_ << "\n";
  } else {
    fs::remove_all(work_dir_);
  }
  for (const auto& name : shm_objects()) fs::remove(fs::path("/dev/shm") / name);
  fs::remove_all(attach_dir_);
}

void ServiceFixture::start_service(const ServiceOptions& options) {
  std::vector<std::string> argv = {options.executable.empty() ? std::string{HSERVER_SERVICE_EXE} : options.executable};
  if (options.routes_json.empty()) {
    argv.insert(argv.end(), {"--listen", "127.0.0.1:" + std::to_string(port_), "--mode", options.mode});
  } else {
    std::string routes = options.routes_json;
    for (auto at = routes.find("$PORT"); at != std::string::npos; at = routes.find("$PORT"))
      routes.replace(at, 5, std::to_string(port_));
    const std::string path = work_dir_ + "/config.json";
    std::ofstream{path} << "{\"routes\": " << routes << (options.config_json.empty() ? "" : ", ") << options.config_json
                        << "}\n";
    argv.insert(argv.end(), {"--config", path});
  }
  argv.insert(argv.end(), {"--shm-prefix", prefix_, "--request-timeout-ms", std::to_string(options.request_timeout_ms),
                           "--no-worker-wait-ms", std::to_string(options.no_worker_wait_ms), "--log-level", "debug",
                           "--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port_), "--admin-socket",
                           admin_socket_, "--attach-socket", attach_socket_});
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  service_ = std::make_unique<ChildProcess>(argv, std::vector<std::string>{}, work_dir_ + "/service.log");
  ASSERT_TRUE(wait_for_port(port_, 10s)) << "the service did not start:\n" << service_->log();
  // The health listener may come up a moment after the routes' (slow sanitizer builds show it).
  if (std::find(options.extra_args.begin(), options.extra_args.end(), "--metrics-listen") == options.extra_args.end()) {
    ASSERT_TRUE(wait_for_port(metrics_port_, 10s)) << "the health listener did not start:\n" << service_->log();
  }
}

ChildProcess& ServiceFixture::start_host(const HostOptions& options) {
  const std::string ready = work_dir_ + "/host" + std::to_string(hosts_.size()) + ".ready";
  std::vector<std::string> argv = {
      options.build.empty() ? std::string{HSERVER_HOST_EXE} : options.build + "/tests/host_emulator/1c-host-emulator",
      "--addin",
      options.build.empty() ? std::string{HSERVER_ADDIN_SO} : options.build + "/addin/native/lib1chserver_addin.so",
      "--handler",
      options.handler,
      "--ready-file",
      ready};
  if (options.route.empty()) {
    argv.insert(argv.end(), {"--port", std::to_string(port_)});
  } else {
    argv.insert(argv.end(), {"--route", options.route});
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  hosts_.push_back(
      std::make_unique<ChildProcess>(argv, addin_env(), work_dir_ + "/host" + std::to_string(hosts_.size()) + ".log"));
  if (options.expect_attach) {
    EXPECT_TRUE(wait_for_file(ready, 10s)) << "the host did not attach:\n" << hosts_.back()->log();
  } else {
    EXPECT_TRUE(hosts_.back()->wait(10s).has_value()) << "the host did not give up:\n" << hosts_.back()->log();
    EXPECT_FALSE(fs::exists(ready)) << "the host attached:\n" << hosts_.back()->log();
  }
  return *hosts_.back();
}

int ServiceFixture::ctl(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv = {HSERVER_CTL_EXE, "--socket", admin_socket_};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = work_dir_ + "/ctl.log";
  fs::remove(log);
  ChildProcess process(argv, {}, log);
  const auto code = process.wait(120s);
  if (out != nullptr) *out = process.log();
  return code.value_or(-1);
}

std::vector<std::string> ServiceFixture::addin_env() const {
  return {"HSERVER_SHM_PREFIX=" + prefix_, "HSERVER_ATTACH_SOCKET=" + attach_socket_};
}

std::vector<std::string> ServiceFixture::shm_objects() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/dev/shm", ec)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(prefix_ + ".", 0) == 0) names.push_back(name);
  }
  return names;
}

}  // namespace hserver::test
