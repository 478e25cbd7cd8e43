// 1chserverctl as an operator uses it: the status table with the route and its worker's process, --json
// for scripts, --watch bounded by --count, and the admin socket found from the service's own config file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

class CtlStatus : public ServiceFixture {
 protected:
  /// Runs 1chserverctl with exactly `args` (no --socket added); output (stdout and stderr) in `out`.
  int ctl_plain(const std::vector<std::string>& args, std::string* out) {
    std::vector<std::string> argv = {HSERVER_CTL_EXE};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = work_dir_ + "/ctl-plain.log";
    std::filesystem::remove(log);
    ChildProcess process(argv, {}, log);
    const auto code = process.wait(120s);
    *out = process.log();
    return code.value_or(-1);
  }

  static std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
  }
};

TEST_F(CtlStatus, TableShowsTheRouteAndItsWorkerProcessAndPid) {
  start_service();
  auto& host = start_host();
  ASSERT_EQ(get("/a").status, 200);
  ASSERT_EQ(get("/b").status, 200);
  std::string out;
  ASSERT_EQ(ctl({"status"}, &out), 0) << out;
  EXPECT_NE(out.find("ROUTE"), std::string::npos) << out;
  EXPECT_NE(out.find("default"), std::string::npos) << out;
  EXPECT_NE(out.find("serving"), std::string::npos) << out;
  EXPECT_NE(out.find("legacy"), std::string::npos) << out;
  EXPECT_NE(out.find(std::to_string(port_)), std::string::npos) << out;
  // The worker row: its process as ps would name it, and its pid.
  EXPECT_NE(out.find("1c-host-emulator"), std::string::npos) << out;
  EXPECT_NE(out.find(" " + std::to_string(host.pid()) + " "), std::string::npos) << out;
  EXPECT_EQ(out.find("no worker attached"), std::string::npos) << out;
  EXPECT_EQ(out.find("\x1b["), std::string::npos) << "no escapes when the output is not a terminal:\n" << out;

  ASSERT_EQ(ctl({"pause"}), 0);
  ASSERT_EQ(ctl({"status"}, &out), 0) << out;
  EXPECT_NE(out.find("PAUSED"), std::string::npos) << out;
}

TEST_F(CtlStatus, ARouteWithoutWorkersAndItsErrorsStandOut) {
  start_service();  // no worker: a request waits the 1 s no-worker wait, then gets 503
  ASSERT_EQ(get("/nobody").status, 503);
  std::string out;
  ASSERT_EQ(ctl({"status"}, &out), 0) << out;
  EXPECT_NE(out.find("no worker attached"), std::string::npos) << out;
  EXPECT_NE(out.find("503 x1"), std::string::npos) << out;
}

TEST_F(CtlStatus, JsonParsesAndKeepsItsShape) {
  start_service();
  auto& host = start_host();
  ASSERT_EQ(get("/a").status, 200);
  std::string out;
  ASSERT_EQ(ctl({"status", "--json"}, &out), 0) << out;
  json::error_code ec;
  const json::value parsed = json::parse(out, ec);
  ASSERT_FALSE(ec) << ec.message() << "\n" << out;
  const auto& answer = parsed.as_object();
  EXPECT_TRUE(answer.at("ok").as_bool());
  const auto& routes = answer.at("routes").as_array();
  ASSERT_EQ(routes.size(), 1u) << out;
  const auto& route = routes[0].as_object();
  EXPECT_EQ(route.at("name").as_string(), "default");
  EXPECT_EQ(route.at("port").to_number<int>(), port_);
  EXPECT_EQ(route.at("responses_by_status").as_object().at("200").to_number<int>(), 1) << out;
  EXPECT_EQ(route.at("errors").to_number<int>(), 0) << out;
  const auto& workers = route.at("workers").as_array();
  ASSERT_EQ(workers.size(), 1u) << out;
  EXPECT_EQ(workers[0].as_object().at("pid").to_number<pid_t>(), host.pid());
  EXPECT_EQ(workers[0].as_object().at("answered").to_number<int>(), 1);
}

TEST_F(CtlStatus, WatchWithCountEndsByItself) {
  start_service();
  start_host();
  std::string out;
  // The default period (2 s), as a person would type it; --count makes it end.
  ASSERT_EQ(ctl({"status", "--watch", "--count", "2"}, &out), 0) << out;
  EXPECT_EQ(occurrences(out, "1chserver at " + admin_socket_), 2u) << out;
  EXPECT_EQ(occurrences(out, "1c-host-emulator"), 2u) << out;
  // --json with --watch: one parseable line per refresh.
  ASSERT_EQ(ctl({"status", "--json", "--watch", "0.2", "--count", "3"}, &out), 0) << out;
  std::istringstream lines(out);
  int parsed = 0;
  for (std::string line; std::getline(lines, line);) {
    json::error_code ec;
    json::parse(line, ec);
    EXPECT_FALSE(ec) << line;
    ++parsed;
  }
  EXPECT_EQ(parsed, 3) << out;
  // --count alone is a usage error, not an endless loop.
  EXPECT_NE(ctl({"status", "--count", "2"}, &out), 0) << out;
}

TEST_F(CtlStatus, ConfigFileLeadsToTheAdminSocket) {
  // The service reads admin_socket from its file (the fixture passes the same path on its command line).
  start_service(ServiceOptions()
                    .with_routes_json(R"([{"name": "files", "listen": "127.0.0.1:$PORT", "mode": "legacy"}])")
                    .with_config_json("\"admin_socket\": \"" + admin_socket_ + "\""));
  start_host();
  const std::string config = work_dir_ + "/config.json";
  std::string out;
  ASSERT_EQ(ctl_plain({"--config", config, "status"}, &out), 0) << out;
  EXPECT_NE(out.find("files"), std::string::npos) << out;
  // The service's own option name works too, and an option given wins over the file.
  ASSERT_EQ(ctl_plain({"--admin-socket", admin_socket_, "routes"}, &out), 0) << out;
  EXPECT_NE(out.find("files"), std::string::npos) << out;
  const std::string elsewhere = work_dir_ + "/elsewhere.sock";
  EXPECT_EQ(ctl_plain({"--config", config, "--admin-socket", elsewhere, "status"}, &out), 3) << out;
  EXPECT_NE(out.find(elsewhere), std::string::npos) << out;
}

TEST_F(CtlStatus, ConfigWithoutAdminSocketDerivesItFromTheShmPrefixAsTheServiceDoes) {
  const std::string config = work_dir_ + "/prefix-only.json";
  std::ofstream{config} << "{\"shm_prefix\": \"" << prefix_ << "-cfg\"}\n";
  std::string out;
  // No service runs for this prefix: the error names the socket the service would have opened.
  EXPECT_EQ(ctl_plain({"--config", config, "status"}, &out), 3) << out;
  EXPECT_NE(out.find("/" + prefix_ + "-cfg.sock"), std::string::npos) << out;
  EXPECT_NE(out.find("not running"), std::string::npos) << out;
  EXPECT_EQ(ctl_plain({"--config", config, "--shm-prefix", prefix_ + "-opt", "status"}, &out), 3) << out;
  EXPECT_NE(out.find("/" + prefix_ + "-opt.sock"), std::string::npos) << out;
}

TEST_F(CtlStatus, UnreadableOrInvalidConfigIsAClearError) {
  std::string out;
  const std::string missing = work_dir_ + "/missing.json";
  EXPECT_EQ(ctl_plain({"--config", missing, "status"}, &out), 2) << out;
  EXPECT_NE(out.find(missing), std::string::npos) << out;
  EXPECT_NE(out.find("No such file"), std::string::npos) << out;
  const std::string invalid = work_dir_ + "/invalid.json";
  std::ofstream{invalid} << "{\"shm_prefx\": \"x\"}\n";
  EXPECT_EQ(ctl_plain({"--config", invalid, "status"}, &out), 2) << out;
  EXPECT_NE(out.find("shm_prefx"), std::string::npos) << out;
}

TEST_F(CtlStatus, PermissionDeniedNamesTheSocketAndWhatToCheck) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (to run 1chserverctl as another user)";
  start_service();
  const std::string log = work_dir_ + "/ctl-other-user.log";
  ChildProcess process({HSERVER_CTL_EXE, "--admin-socket", admin_socket_, "status"}, {}, log,
                       RunAs{65534, 65534, {}});  // nobody: neither root nor the service's user or group
  EXPECT_EQ(process.wait(60s).value_or(-1), 3) << process.log();
  EXPECT_NE(process.log().find("permission denied on " + admin_socket_), std::string::npos) << process.log();
  EXPECT_NE(process.log().find("run as root or as the service user"), std::string::npos) << process.log();
}

}  // namespace
}  // namespace hserver::test
