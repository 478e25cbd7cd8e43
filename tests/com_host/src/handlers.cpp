#include "hserver/comhost/handlers.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <boost/json.hpp>
// The host's one translation unit that compiles Boost.JSON (header-only mode needs exactly one).
#include <boost/json/src.hpp>

namespace hserver::comhost {
namespace {

void complain(std::string_view what, const CallResult& result) {
  std::cerr << "1c-com-host: " << what << " failed: " << result.error << std::endl;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string header_value(const boost::json::object& request, std::string_view name) {
  const auto* headers = request.if_contains("headers");
  if (headers == nullptr || !headers->is_array()) return {};
  for (const auto& pair : headers->get_array()) {
    if (!pair.is_array() || pair.get_array().size() != 2) continue;
    const auto& items = pair.get_array();
    if (items[0].is_string() && items[1].is_string() && iequals(items[0].get_string(), name)) {
      return std::string(items[1].get_string());
    }
  }
  return {};
}

class EchoHandler final : public Handler {
 public:
  bool on_event(Addin& addin, const ExternalEvent& event) override {
    if (event.source != "1CHServer") return false;
    if (event.name == "Execute") {
      const CallResult result = addin.call("ВернутьРезультат", {Value{event.data}});
      if (!result.ok) complain("ВернутьРезультат", result);
      return result.ok;
    }
    if (event.name != "Request") return false;
    // 1C code passes Данные (the id as text) on, as 1C's Число(Данные) would also work.
    const CallResult request = addin.call("получитьзапрос", {Value{event.data}});  // any case, as in 1C
    if (!request.ok) {
      complain("ПолучитьЗапрос", request);
      return false;
    }
    const auto* text = std::get_if<std::string>(&request.value);
    boost::system::error_code ec;
    const auto json = boost::json::parse(text != nullptr ? *text : std::string(), ec);
    if (ec || !json.is_object()) {
      std::cerr << "1c-com-host: ПолучитьЗапрос returned " << describe(request.value) << std::endl;
      return false;
    }
    const CallResult body = addin.call("GetRequestBody", {Value{event.data}});
    if (!body.ok || !std::holds_alternative<Bytes>(body.value)) {
      complain("ПолучитьТелоЗапроса (ДвоичныеДанные)", body);
      return false;
    }
    std::string content_type = header_value(json.get_object(), "Content-Type");
    if (content_type.empty()) content_type = "application/octet-stream";
    boost::json::object headers;
    headers["Content-Type"] = content_type;
    const auto* method = json.get_object().if_contains("method");
    headers["X-Echo-Method"] = method != nullptr && method->is_string() ? method->get_string() : "";
    const CallResult sent = addin.call("ОтправитьОтвет", {Value{event.data}, Value{std::int32_t{200}},
                                                          Value{boost::json::serialize(headers)}, body.value});
    if (!sent.ok) complain("ОтправитьОтвет", sent);
    return sent.ok;
  }
};

class StallHandler final : public Handler {
 public:
  bool on_event(Addin&, const ExternalEvent& event) override {
    std::cerr << "1c-com-host: stalling on " << event.name << " " << event.data << std::endl;
    return false;
  }
};

class CrashHandler final : public Handler {
 public:
  [[noreturn]] bool on_event(Addin&, const ExternalEvent&) override {
    std::fputs("1c-com-host: crash handler: aborting with a request in hand\n", stderr);
    std::abort();
  }
};

}  // namespace

std::unique_ptr<Handler> make_handler(std::string_view kind) {
  if (kind == "echo") return std::make_unique<EchoHandler>();
  if (kind == "stall") return std::make_unique<StallHandler>();
  if (kind == "crash") return std::make_unique<CrashHandler>();
  throw std::invalid_argument("unknown handler " + std::string(kind) + " (echo, stall, crash)");
}

}  // namespace hserver::comhost
