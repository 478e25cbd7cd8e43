#include "hserver/host/handlers.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/json.hpp>
// The host's one translation unit that compiles Boost.JSON (header-only mode needs exactly one).
#include <boost/json/src.hpp>

namespace hserver::host {
namespace {

constexpr std::string_view kSource = "1CHServer";
constexpr std::string_view kLegacyEvent = "Execute";
constexpr std::string_view kHttpEvent = "Request";
constexpr std::string_view kLogEvent = "Log";

void complain(std::string_view what, const CallResult& result) {
  std::cerr << "1c-host-emulator: " << what << " failed: " << result.error_text() << std::endl;
}

/// What 1C code gets from Число(Данные): an integer that fits 32 bits travels as I4, a larger one as R8.
std::optional<Value> number_from_text(const std::string& text) {
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (id <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
    return Value{static_cast<std::int32_t>(id)};
  }
  return Value{static_cast<double>(id)};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string json_string(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
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

/// The common shape of the answering handlers; subclasses decide the answers.
class AnsweringHandler : public Handler {
 public:
  bool on_event(Session& session, const ExternalEvent& event) override {
    if (event.source != kSource) {
      std::cerr << "1c-host-emulator: ignoring an event from " << event.source << std::endl;
      return false;
    }
    if (event.name == kLogEvent) {
      // The original's journal (СобытияЖурнала = Истина): code written for it shows the text.
      std::cerr << "1c-host-emulator: Log: " << event.data << std::endl;
      return false;
    }
    if (event.name == kLegacyEvent) return answer_legacy_event(session, legacy_answer(event.data));
    if (event.name == kHttpEvent) {
      // 1C code passes Данные (the id as text) straight to ПолучитьЗапрос, then works with Число(Данные).
      const CallResult request = session.call(u"ПолучитьЗапрос", {Value{event.data}});
      if (!request.ok()) {
        complain("ПолучитьЗапрос", request);
        return false;
      }
      const auto id = number_from_text(event.data);
      if (!id) {
        std::cerr << "1c-host-emulator: the Request event data is not an id: " << event.data << std::endl;
        return false;
      }
      return answer_http(session, *id, parse(request.value));
    }
    std::cerr << "1c-host-emulator: ignoring event " << event.name << std::endl;
    return false;
  }

  bool on_pulled(Session& session, const Value& request_id) override {
    const CallResult request = session.call(u"GetRequest", {request_id});
    if (!request.ok()) {
      complain("GetRequest", request);
      return false;
    }
    const boost::json::object json = parse(request.value);
    if (json_string(json, "mode") == "legacy") {
      const CallResult result =
          session.call(u"ReturnResultFor", {request_id, Value{legacy_answer(json_string(json, "body"))}});
      if (!result.ok()) complain("ReturnResultFor", result);
      return result.ok();
    }
    return answer_http(session, request_id, json);
  }

 protected:
  /// The original protocol: ВернутьРезультат(Результат) answers the oldest request.
  virtual bool answer_legacy_event(Session& session, const std::string& answer) {
    const CallResult result = session.call(u"ВернутьРезультат", {Value{answer}});
    if (!result.ok()) complain("ВернутьРезультат", result);
    return result.ok();
  }

  virtual std::string legacy_answer(const std::string& code) = 0;
  virtual bool answer_http(Session& session, const Value& id, const boost::json::object& request) = 0;

  static bool send(Session& session, const Value& id, std::int32_t status, const boost::json::object& headers,
                   Value body) {
    const CallResult result =
        session.call(u"ОтправитьОтвет", {id, Value{status}, Value{boost::json::serialize(headers)}, std::move(body)});
    if (!result.ok()) complain("ОтправитьОтвет", result);
    return result.ok();
  }

 private:
  static boost::json::object parse(const Value& value) {
    const auto* text = std::get_if<std::string>(&value);
    if (text == nullptr) {
      std::cerr << "1c-host-emulator: ПолучитьЗапрос returned " << describe(value) << ", not a string" << std::endl;
      return {};
    }
    boost::system::error_code ec;
    auto json = boost::json::parse(*text, ec);
    if (ec || !json.is_object()) {
      std::cerr << "1c-host-emulator: ПолучитьЗапрос returned invalid JSON: " << *text << std::endl;
      return {};
    }
    return std::move(json.get_object());
  }
};

class EchoHandler : public AnsweringHandler {
 protected:
  std::string legacy_answer(const std::string& code) override { return code; }

  bool answer_http(Session& session, const Value& id, const boost::json::object& request) override {
    const CallResult body = session.call(u"получитьтелозапроса", {id});  // any case works, as in 1C
    if (!body.ok()) {
      complain("ПолучитьТелоЗапроса", body);
      return false;
    }
    std::string content_type = header_value(request, "Content-Type");
    if (content_type.empty()) content_type = "application/octet-stream";
    boost::json::object headers;
    headers["Content-Type"] = content_type;
    headers["X-Echo-Method"] = json_string(request, "method");
    // Who the service said the client is, and which credential headers reached 1C (security tests).
    headers["X-Echo-User"] = json_string(request, "user");
    headers["X-Echo-Auth-Scheme"] = json_string(request, "auth_scheme");
    std::string credentials;
    for (const char* name : {"Authorization", "Proxy-Authorization", "Cookie"}) {
      if (!header_value(request, name).empty()) credentials += (credentials.empty() ? "" : ",") + std::string(name);
    }
    headers["X-Echo-Credentials"] = credentials;
    headers["X-Echo-Target"] = json_string(request, "target");  // the path 1C was given
    return send(session, id, 200, headers, body.value);
  }
};

// Code written for the original add-in: ВернутьРезультат with its one argument, used by turns inside an
// expression (Ответ = Компонента.ВернутьРезультат(Текст): CallAsFunc, which must give the number 0, as the
// original did) and as a statement (CallAsProc). Answers as echo; a broken contract is answered "Error: ...".
class CompatHandler final : public EchoHandler {
 protected:
  bool answer_legacy_event(Session& session, const std::string& answer) override {
    const long index = session.object().find_method(u"ВернутьРезультат");
    const bool as_expression = (turn_++ % 2) == 0;
    if (index < 0 || session.object().get_n_params(index) != 1 || !session.object().has_ret_val(index)) {
      std::cerr << "1c-host-emulator: compat: ВернутьРезультат is not the original's function of one parameter"
                << std::endl;
      return false;
    }
    const std::vector<Value> args{Value{answer}};
    const CallResult result =
        as_expression ? session.object().call_as_func(index, args) : session.object().call_as_proc(index, args);
    if (!result.ok()) {
      complain(as_expression ? "Ответ = ВернутьРезультат(...)" : "ВернутьРезультат(...)", result);
      return false;
    }
    if (as_expression && result.value != Value{std::int32_t{0}}) {
      std::cerr << "1c-host-emulator: compat: ВернутьРезультат returned " << describe(result.value)
                << ", the original returned I4 0" << std::endl;
      return false;
    }
    return true;
  }

 private:
  unsigned turn_ = 0;
};

// Answers of a size the request names: legacy code "<N>" -> ВернутьРезультат(N x 'x'); http path
// "/bytes/<N>" -> ОтправитьОтвет(Ид, 200, "", N bytes). For the answer-size limit.
class SizedHandler final : public AnsweringHandler {
 protected:
  std::string legacy_answer(const std::string& code) override { return std::string(size_of(code), 'x'); }

  bool answer_http(Session& session, const Value& id, const boost::json::object& request) override {
    const std::string path = json_string(request, "path");
    const std::string prefix = "/bytes/";
    const std::size_t n = path.rfind(prefix, 0) == 0 ? size_of(path.substr(prefix.size())) : 0;
    return send(session, id, 200, boost::json::object{}, Value{std::string(n, 'x')});
  }

 private:
  static std::size_t size_of(const std::string& text) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    return ec == std::errc{} && end == text.data() + text.size() ? n : 0;
  }
};

class CannedHandler final : public AnsweringHandler {
 public:
  explicit CannedHandler(std::map<std::string, std::string> answers) : answers_(std::move(answers)) {}

 protected:
  std::string legacy_answer(const std::string& code) override {
    const auto it = answers_.find(code);
    return it != answers_.end() ? it->second : "Error: unknown request";
  }

  bool answer_http(Session& session, const Value& id, const boost::json::object& request) override {
    boost::json::object headers;
    headers["Content-Type"] = "text/plain; charset=utf-8";
    const auto it = answers_.find(json_string(request, "path"));
    if (it == answers_.end()) return send(session, id, 404, headers, Value{std::string("Error: unknown request")});
    return send(session, id, 200, headers, Value{it->second});
  }

 private:
  std::map<std::string, std::string> answers_;
};

class StallHandler final : public Handler {
 public:
  bool on_event(Session&, const ExternalEvent& event) override {
    std::cerr << "1c-host-emulator: stalling on " << event.name << " " << event.data << std::endl;
    return false;
  }
  bool on_pulled(Session&, const Value& id) override {
    std::cerr << "1c-host-emulator: stalling on request " << describe(id) << std::endl;
    return false;
  }
};

// 1C busy for a while (a long report, a lock wait) before it answers as echo would: the answer may come
// after the route's deadline, when the service must drop it.
class SlowHandler final : public Handler {
 public:
  explicit SlowHandler(std::chrono::milliseconds delay) : delay_(delay) {}
  bool on_event(Session& session, const ExternalEvent& event) override {
    std::this_thread::sleep_for(delay_);
    return echo_.on_event(session, event);
  }
  bool on_pulled(Session& session, const Value& id) override {
    std::this_thread::sleep_for(delay_);
    return echo_.on_pulled(session, id);
  }

 private:
  std::chrono::milliseconds delay_;
  EchoHandler echo_;
};

class CrashHandler final : public Handler {
 public:
  [[noreturn]] bool on_event(Session&, const ExternalEvent&) override { crash(); }
  [[noreturn]] bool on_pulled(Session&, const Value&) override { crash(); }

 private:
  [[noreturn]] static void crash() {
    std::fputs("1c-host-emulator: crash handler: aborting with a request in hand\n", stderr);
    std::abort();
  }
};

}  // namespace

std::unique_ptr<Handler> make_handler(std::string_view kind, std::map<std::string, std::string> canned_answers,
                                      std::chrono::milliseconds slow_delay) {
  if (kind == "echo") return std::make_unique<EchoHandler>();
  if (kind == "compat") return std::make_unique<CompatHandler>();
  if (kind == "sized") return std::make_unique<SizedHandler>();
  if (kind == "slow") return std::make_unique<SlowHandler>(slow_delay);
  if (kind == "canned") return std::make_unique<CannedHandler>(std::move(canned_answers));
  if (kind == "stall") return std::make_unique<StallHandler>();
  if (kind == "crash") return std::make_unique<CrashHandler>();
  throw std::invalid_argument("unknown handler " + std::string(kind) +
                              " (echo, compat, sized, canned, stall, crash, slow)");
}

std::map<std::string, std::string> load_canned_answers(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read the canned answers file " + path);
  std::map<std::string, std::string> answers;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    answers[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return answers;
}

}  // namespace hserver::host
