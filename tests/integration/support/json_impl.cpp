// Boost.JSON header-only: its implementation compiled once for the integration tests (the tests read
// `1chserverctl status --json` and the Grafana dashboard).
#include <boost/json/src.hpp>
