#pragma once
/// @brief Bytes to a port and every byte that comes back, for requests no well-behaved client would send
/// (smuggling shapes, malformed framing): what the HTTP front answers and whether it closes.

#include <chrono>
#include <string>
#include <vector>

namespace hserver::test {

struct RawExchange {
  std::string received;               ///< everything the server sent
  bool closed = false;                ///< the server closed the connection (EOF or reset) within the timeout
  std::string error;                  ///< connect or send failure, empty otherwise
  std::vector<int> statuses() const;  ///< the status of every "HTTP/1.x NNN" response line, in order
};

/// @brief Connects to 127.0.0.1:`port`, sends `bytes`, then reads until the server closes or `timeout`
/// passes (the connection is then left open by the server: closed stays false).
RawExchange raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace hserver::test
