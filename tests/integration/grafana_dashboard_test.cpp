// The Grafana dashboard of examples/grafana names only metrics the service exports: every metric name in
// its expressions and variable queries must appear in /metrics of a real service that has answered
// requests (labelled series exist only once something was counted).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

namespace json = boost::json;

class GrafanaDashboard : public ServiceFixture {};

/// The texts Grafana sends to Prometheus: panel targets' "expr" and the variables' queries.
void collect_queries(const json::value& value, const std::string& key, std::vector<std::string>& out) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.as_object()) collect_queries(v, std::string(k), out);
  } else if (value.is_array()) {
    for (const auto& v : value.as_array()) collect_queries(v, key, out);
  } else if (value.is_string() && (key == "expr" || key == "query" || key == "definition")) {
    out.emplace_back(value.as_string());
  }
}

struct Exposition {
  std::set<std::string> samples;             ///< names of the sample lines
  std::map<std::string, std::string> types;  ///< family -> counter, gauge, histogram, ...
};

Exposition parse_exposition(const std::string& text) {
  Exposition e;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string family, type;
      words >> family >> type;
      e.types[family] = type;
    } else if (!line.empty() && line[0] != '#') {
      e.samples.insert(line.substr(0, line.find_first_of("{ ")));
    }
  }
  return e;
}

/// A histogram's series are <family>_bucket, _sum and _count; nothing else has a family to strip to.
std::string family_of(const std::string& name, const Exposition& e) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string family = name.substr(0, name.size() - s.size());
      if (auto it = e.types.find(family); it != e.types.end() && it->second == "histogram") return family;
    }
  }
  return name;
}

TEST_F(GrafanaDashboard, EveryMetricItNamesExistsInMetrics) {
  start_service();
  start_host();
  for (const char* target : {"/a", "/b", "/c"}) ASSERT_EQ(get(target).status, 200);
  const auto metrics = metrics_get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.error;
  const Exposition exposition = parse_exposition(metrics.body);

  std::ifstream file(HSERVER_GRAFANA_DASHBOARD);
  ASSERT_TRUE(file) << HSERVER_GRAFANA_DASHBOARD;
  std::stringstream text;
  text << file.rdbuf();
  json::error_code ec;
  const json::value dashboard = json::parse(text.str(), ec);
  ASSERT_FALSE(ec) << "the dashboard is not JSON: " << ec.message();

  std::vector<std::string> queries;
  collect_queries(dashboard, "", queries);
  const std::regex metric_name(R"(\bhserver_[A-Za-z0-9_:]*)");
  std::set<std::string> names;
  for (const auto& query : queries) {
    for (std::sregex_iterator it(query.begin(), query.end(), metric_name), end; it != end; ++it)
      names.insert(it->str());
  }
  // Request rate, latency, queue, workers, refusals, memory budget, authentication: a dashboard that
  // named a handful would pass without showing much.
  EXPECT_GE(names.size(), 15u);
  for (const auto& name : names) {
    const std::string family = family_of(name, exposition);
    EXPECT_TRUE(exposition.types.count(family) == 1) << name << ": no metric family " << family << " in /metrics";
    EXPECT_TRUE(exposition.samples.count(name) == 1)
        << name << " has no series in /metrics"
        << (exposition.types.count(name) == 1 && exposition.types.at(name) == "histogram"
                ? " (a histogram: use " + name + "_bucket, _sum or _count)"
                : "");
  }
  // Importable with any Prometheus: the data source is a variable, never a fixed uid.
  bool has_datasource_variable = false;
  for (const auto& variable : dashboard.at("templating").at("list").as_array()) {
    const auto& v = variable.as_object();
    if (v.at("type").as_string() == "datasource" && v.at("query").as_string() == "prometheus") {
      has_datasource_variable = true;
    }
  }
  EXPECT_TRUE(has_datasource_variable);
  EXPECT_EQ(text.str().find("\"uid\": \"prometheus\""), std::string::npos);
}

}  // namespace
}  // namespace hserver::test
