#pragma once
/// @brief A blocking HTTP/1.1 client for tests (Boost.Beast), with a bound on every call.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace hserver::test {

struct HttpReply {
  int status = 0;  ///< 0: no response (connection failed, closed or timed out)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error;  ///< why status is 0
  std::string header(const std::string& name) const;
};

HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body = {}, std::vector<std::pair<std::string, std::string>> headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// @brief Percent-encode as the original 1CHServer client does: UTF-8, '+' sent as "&&".
std::string legacy_target(const std::string& code);

}  // namespace hserver::test
