#pragma once
/// @brief What the "1C code" in ВнешнееСобытие does with a request, as in the Native host emulator:
/// - echo: legacy "Execute": ВернутьРезультат(code text); http "Request": ПолучитьЗапрос(Данные),
///   ПолучитьТелоЗапроса(Ид), ОтправитьОтвет(Ид, 200, {"Content-Type": the request's or
///   application/octet-stream, "X-Echo-Method": method}, body as ДвоичныеДанные);
/// - stall: never answers (timeout tests); crash: abort()s with a request in hand.

#include <memory>
#include <string_view>

#include "hserver/comhost/addin.hpp"
#include "hserver/comhost/connection.hpp"

namespace hserver::comhost {

/// @brief Runs on the host's STA thread only, like 1C code.
class Handler {
 public:
  virtual ~Handler() = default;
  /// @brief Returns true when the request was answered.
  virtual bool on_event(Addin& addin, const ExternalEvent& event) = 0;
};

/// @brief kind: "echo", "stall" or "crash". @throws std::invalid_argument for another kind.
std::unique_ptr<Handler> make_handler(std::string_view kind);

}  // namespace hserver::comhost
