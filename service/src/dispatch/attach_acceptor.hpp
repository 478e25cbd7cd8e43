#pragma once
/// @brief Attach: lets add-ins in, at most one per slot of a route, and gives each its own channel. One
/// implementation per OS (dispatch/<os>/attach_acceptor.cpp):
/// - Linux: a unix-domain socket in a folder only the service may write; each connection's peer is checked
///   (SO_PEERCRED: the service's user, root, or a member of shm.posix_group), and its channel is a sealed
///   memfd passed over the connection, which stays open while the add-in is attached.
/// - Windows: the registry section, whose slots add-ins claim; channels are sections named with a random
///   token.
/// What happens on a channel afterwards (the worker thread, requests, liveness) is the dispatcher's.

#include <cstdint>
#include <memory>
#include <string>

#include "config.hpp"
#include "hserver/common/shm/channel.hpp"

namespace hserver::service {

/// @brief What the acceptor asks of the dispatcher. Every call comes from the acceptor's one thread.
class AttachHandler {
 public:
  virtual ~AttachHandler() = default;
  /// @brief False once the service is stopping: add-ins are refused.
  virtual bool accepting() const = 0;
  /// @brief Serve the add-in on `channel` (slot `slot` of route `route`). False: refused (stopping).
  virtual bool adopt(std::uint32_t route, std::uint32_t slot, shm::Channel channel) = 0;
  /// @brief Each round of the acceptor (every 250 ms at most, and soon after wake()): the dispatcher joins
  /// the workers that have ended and calls release() for their slots.
  virtual void housekeeping() = 0;
};

class AttachAcceptor {
 public:
  /// @brief Take the place add-ins look for (Linux: bind the attach socket; Windows: create the registry).
  /// Nothing there that the service did not create is removed.
  /// @throws std::runtime_error with a message fit for the log (another instance runs; an unsafe folder).
  static std::unique_ptr<AttachAcceptor> create(const ServiceConfig& config, AttachHandler& handler);
  virtual ~AttachAcceptor() = default;  ///< stop(), then free the place and every slot

  /// @brief Start the acceptor's thread: add-ins are let in from now on.
  virtual void start() = 0;
  /// @brief End the thread (joined): no add-in is let in afterwards.
  virtual void stop() = 0;
  /// @brief Any thread: run housekeeping soon.
  virtual void wake() = 0;
  /// @brief Acceptor thread (housekeeping): the add-in of this slot is gone and its worker joined; free
  /// the slot (Linux: close its connection).
  virtual void release(std::uint32_t route, std::uint32_t slot) = 0;
};

}  // namespace hserver::service
