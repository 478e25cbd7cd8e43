#pragma once
/// @brief What the "1C code" in ВнешнееСобытие (or in a pull-mode background job) does with a request.
/// - echo: legacy "Execute": ВернутьРезультат(code text); http "Request": ПолучитьЗапрос(Данные),
///   ПолучитьТелоЗапроса(Ид), ОтправитьОтвет(Ид, 200, {"Content-Type": the request's or
///   application/octet-stream, "X-Echo-Method": method}, body).
/// - canned: a file of `code<TAB>answer` lines; legacy: ВернутьРезультат(answer), or
///   "Error: unknown request"; http: the key is the request path, 200 text/plain with the answer, or 404
///   with "Error: unknown request".
/// - compat: as echo, but legacy answers are given as code written for the original gives them:
///   ВернутьРезультат(Текст) with one argument, by turns inside an expression (CallAsFunc, which must
///   return I4 0) and as a statement (CallAsProc).
/// - sized: answers of a size the request names (legacy code "N"; http path "/bytes/N"): N bytes of 'x'.
/// - stall: never answers (timeout tests). crash: abort()s the process on a request (killed workers).
/// Every handler ignores "Log" events (printing them), as code written for the original shows them.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "hserver/host/connection.hpp"
#include "hserver/host/session.hpp"

namespace hserver::host {

/// @brief Main-thread only, like 1C code. Failures of the add-in's methods are printed to stderr and
/// do not stop the host (1C code would show an exception and go on).
class Handler {
 public:
  virtual ~Handler() = default;
  /// @brief An event from the buffer. Returns true when the request was answered.
  virtual bool on_event(Session& session, const ExternalEvent& event) = 0;
  /// @brief A request id returned by ОжидатьЗапрос (pull mode). Returns true when it was answered.
  virtual bool on_pulled(Session& session, const Value& request_id) = 0;
};

/// @brief kind: "echo", "compat", "sized", "canned", "stall", "crash" or "slow". canned_answers is used by "canned"
/// only.
/// @throws std::invalid_argument for an unknown kind.
/// `slow_delay`: how long the "slow" handler (echo after a pause, 1C busy) waits before answering.
std::unique_ptr<Handler> make_handler(std::string_view kind, std::map<std::string, std::string> canned_answers = {},
                                      std::chrono::milliseconds slow_delay = std::chrono::milliseconds{3000});

/// @brief Reads a canned-answers file (`code<TAB>answer` per line; CR before LF ignored; lines without
/// a TAB are skipped). @throws std::runtime_error when the file cannot be read.
std::map<std::string, std::string> load_canned_answers(const std::string& path);

}  // namespace hserver::host
