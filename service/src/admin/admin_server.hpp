#pragma once
/// @brief The admin channel's listener: only local administrators reach it. POSIX: a Unix socket in a
/// directory of mode 0750, the socket 0660, and every peer's uid checked (root or the service's own
/// user); Windows: a local named pipe (remote clients rejected) whose DACL grants read/write to SYSTEM,
/// Administrators and the service's own account only. One implementation per OS.

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "dispatch/dispatcher.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::service {

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, Dispatcher& dispatcher);
  ~AdminServer();  ///< closes the listener (POSIX: and removes the socket file); never waits
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  /// @brief Listen at `path`. A live service already there is an error (POSIX: a stale socket file of a
  /// dead service is replaced; Windows: `path` is \\.\pipe\<name>, claimed as the pipe's first instance).
  Status<std::string> start(const std::string& path);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hserver::service
