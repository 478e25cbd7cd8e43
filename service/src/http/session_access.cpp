// Session: who may use the route of the request being read. The allow-list is checked at once; the
// credentials through CredentialChecks, whose costly verification runs on its own pool: meanwhile no
// read is outstanding on this connection (the read timeout still runs), and the verdict comes back
// on the session's strand.
#include <string>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "http/session.hpp"
#include "security/credential_checks.hpp"

namespace hserver::service {

void Session::check_access() {
  const std::shared_ptr<const RouteAccess>& access = context_->access_of(*route_);
  if (!access->address_allowed(remote_ip_)) {
    count(FrontStats::Reason::forbidden);
    abandon_request();
    refuse(403, "this address may not use this route");
    return;
  }
  if (!access->requires_authentication()) return read_request_body();

  const auto authorization = parser_->get()[boost::beast::http::field::authorization];
  auto on_verdict = [self = shared_from_this(), executor = stream_.get_executor()](bool valid) mutable {
    // From a pool thread: the session is handed over whole, so it is never released there.
    boost::asio::post(executor, [self = std::move(self), valid] { self->on_credentials_verified(valid); });
  };
  const auto decision = context_->credential_checks->check(access, remote_ip_, authorization, std::move(on_verdict));
  // Refused without verifying anything: the client is told when to come back.
  const auto refuse_for_now = [&](FrontStats::Reason reason, std::uint16_t status, std::string_view why) {
    count(reason);
    abandon_request();
    refuse(status, why, {Header{"Retry-After", std::to_string(decision.retry_after.count())}});
  };
  switch (decision.outcome) {
    case CredentialChecks::Outcome::allowed:
      return accept_credentials();
    case CredentialChecks::Outcome::unauthorized:
      return refuse_unauthorized();
    case CredentialChecks::Outcome::throttled:
      spdlog::info("connection {}: too many failed authentications from this address, route '{}'", remote_address_,
                   route_->name);
      return refuse_for_now(FrontStats::Reason::auth_throttled, 429,
                            "too many failed authentication attempts from this address");
    case CredentialChecks::Outcome::busy:
      return refuse_for_now(FrontStats::Reason::auth_busy, 503, "too many authentication checks in progress");
    case CredentialChecks::Outcome::pending:
      verifying_ = true;
      return;
  }
}

void Session::on_credentials_verified(bool valid) {
  // Closed meanwhile, or refused (the read timeout ran out): the verdict is for nobody.
  if (closed_ || !verifying_) return;
  verifying_ = false;
  if (valid) {
    accept_credentials();
  } else {
    refuse_unauthorized();
  }
}

void Session::accept_credentials() {
  // Verified: 1C may be told whom they name (the request's header is still in the parser).
  identity_ = identity_of(parser_->get()[boost::beast::http::field::authorization]);
  read_request_body();
}

void Session::refuse_unauthorized() {
  if (context_->stats) context_->stats->auth_failure(route_->name);
  spdlog::info("connection {}: authentication failed on route '{}'", remote_address_, route_->name);
  std::vector<Header> challenge;
  for (const std::string& value : context_->access_of(*route_)->challenges()) {
    challenge.push_back(Header{"WWW-Authenticate", value});
  }
  abandon_request();
  refuse(401, "authentication required", std::move(challenge));
}

}  // namespace hserver::service
