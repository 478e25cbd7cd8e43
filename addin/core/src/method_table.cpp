#include "hserver/addin/method_table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include <boost/json.hpp>
// The one translation unit of the add-in that compiles Boost.JSON (header-only mode needs exactly one).
#include <boost/json/src.hpp>

#include "hserver/common/utf.hpp"

namespace hserver::addin {
namespace {

// ---------------------------------------------------------------------------------------------------
// Argument conversion. Messages name the method and the parameter in both languages, because the
// binding reports them verbatim (AddError) and they are what a 1C developer reads in the exception.

struct ArgName {
  const char* ru;  ///< "Запустить: Порт"
  const char* en;  ///< "Start: Port"
};

Error arg_error(ArgName arg, std::string_view problem_ru, std::string_view problem_en) {
  std::string message;
  message.append(arg.ru).append(": ").append(problem_ru).append(" / ");
  message.append(arg.en).append(": ").append(problem_en);
  return message;
}

/// An integer from a 1C number (integer or integral double) or a string of decimal digits. Spaces and
/// no-break spaces are skipped because Строка(Число) in 1C groups digits with them ("12 345").
std::optional<std::uint64_t> to_unsigned(const Value& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    if (*i < 0) return std::nullopt;
    return static_cast<std::uint64_t>(*i);
  }
  if (const auto* d = std::get_if<double>(&value)) {
    // 2^64 exactly is the first double that no longer fits.
    if (!std::isfinite(*d) || *d < 0 || std::trunc(*d) != *d || *d >= 18446744073709551616.0) {
      return std::nullopt;
    }
    return static_cast<std::uint64_t>(*d);
  }
  if (const auto* s = std::get_if<std::string>(&value)) {
    std::string digits;
    for (std::size_t i = 0; i < s->size(); ++i) {
      const char c = (*s)[i];
      if (c == ' ') continue;
      if (c == '\xC2' && i + 1 < s->size() && (*s)[i + 1] == '\xA0') {
        ++i;
        continue;
      }
      if (c < '0' || c > '9') return std::nullopt;
      digits.push_back(c);
    }
    if (digits.empty()) return std::nullopt;
    std::uint64_t out = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

Expected<std::uint16_t, Error> to_port(const Value& value, ArgName arg) {
  const auto n = to_unsigned(value);
  if (!n || *n < 1 || *n > 65535) {
    return Unexpected{arg_error(arg, "ожидался номер порта от 1 до 65535", "a port number from 1 to 65535 expected")};
  }
  return static_cast<std::uint16_t>(*n);
}

Expected<std::uint64_t, Error> to_id(const Value& value, ArgName arg) {
  const auto n = to_unsigned(value);
  if (!n) {
    return Unexpected{
        arg_error(arg, "ожидался идентификатор запроса (целое число)", "a request id (an integer) expected")};
  }
  return *n;
}

std::string format_double(double d) {
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), d);
  if (ec != std::errc{}) return "0";
  return std::string(buffer.data(), end);
}

/// Text for an answer body: strings and binary data as they are; numbers and booleans in the plain
/// form an HTTP client expects ("12.5", "true") rather than 1C's localised Строка(); Неопределено is "".
std::string to_body(const Value& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return {}; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return format_double(d); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const Blob& b) const { return b.bytes; }
  };
  return std::visit(Visitor{}, value);
}

Expected<std::string, Error> to_text(const Value& value, ArgName arg) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  return Unexpected{arg_error(arg, "ожидалась строка", "a string expected")};
}

Expected<Value, Error> done(const Status<Error>& status) {
  if (!status) return Unexpected{status.error()};
  return Value{};
}

/// The original's methods are functions returning the number 0, so existing code may use them in an
/// expression (Результат = Компонента.Запустить(8080)).
Expected<Value, Error> done_zero(const Status<Error>& status) {
  if (!status) return Unexpected{status.error()};
  return Value{std::int64_t{0}};
}

Error request_not_found(std::uint64_t id) {
  const std::string n = std::to_string(id);
  return "Запрос " + n + " не найден: он уже отвечен, отменён или ещё не получен / request " + n +
         " not found: already answered, cancelled or not delivered yet";
}

// ---------------------------------------------------------------------------------------------------
// Property getters.

// A string, as the original's (its Port was the port's text, "0" before Start): code that concatenates
// it, compares it with a string or passes it to СтрДлина keeps working.
Expected<Value, Error> get_port(const Core& core) {
  return Value{std::to_string(core.port())};
}
Expected<Value, Error> get_attached(const Core& core) {
  return Value{core.attached()};
}
Expected<Value, Error> get_route(const Core& core) {
  return Value{core.route_name()};
}
Expected<Value, Error> get_version(const Core&) {
  return Value{Core::version()};
}
Expected<Value, Error> get_last_error(const Core& core) {
  return Value{core.last_error()};
}
Expected<Value, Error> get_reconnecting(const Core& core) {
  return Value{core.reconnecting()};
}
Expected<Value, Error> get_waiting_mode(const Core& core) {
  return Value{core.waiting_mode()};
}
Expected<Value, Error> get_log_events(const Core& core) {
  return Value{core.log_events()};
}
Status<Error> set_log_events(Core& core, const Value& value) {
  if (const auto* b = std::get_if<bool>(&value)) {
    core.set_log_events(*b);
    return {};
  }
  return Unexpected{Error("СобытияЖурнала: ожидалось Булево / LogEvents: a Boolean expected")};
}

// ---------------------------------------------------------------------------------------------------
// Method handlers. `args` always has exactly as many elements as the method has parameters.

Expected<Value, Error> call_start(Core& core, std::span<const Value> args) {
  const auto port = to_port(args[0], {"Запустить: Порт", "Start: Port"});
  if (!port) return Unexpected{port.error()};
  return done_zero(core.start_on_port(*port));
}

Expected<Value, Error> call_attach_for_waiting(Core& core, std::span<const Value> args) {
  const ArgName arg{"ПодключитьДляОжидания: ПортИлиМаршрут", "AttachForWaiting: PortOrRoute"};
  // A number is a port, a string a route name: a route named "8080" is still reachable by name.
  if (std::holds_alternative<std::int64_t>(args[0]) || std::holds_alternative<double>(args[0])) {
    const auto port = to_port(args[0], arg);
    if (!port) return Unexpected{port.error()};
    return done(core.start_on_port(*port, AttachMode::waiting));
  }
  const auto name = to_text(args[0], arg);
  if (!name || name->empty()) {
    return Unexpected{arg_error(arg, "ожидался номер порта (Число) или имя маршрута (Строка)",
                                "a port number or a route name (String) expected")};
  }
  return done(core.attach_route(*name, AttachMode::waiting));
}

Expected<Value, Error> call_attach_route(Core& core, std::span<const Value> args) {
  const ArgName arg{"ПодключитьМаршрут: Имя", "AttachRoute: Name"};
  const auto name = to_text(args[0], arg);
  if (!name) return Unexpected{name.error()};
  if (name->empty()) return Unexpected{arg_error(arg, "имя маршрута не задано", "the route name is empty")};
  return done(core.attach_route(*name));
}

Expected<Value, Error> call_stop(Core& core, std::span<const Value>) {
  core.stop();
  return Value{std::int64_t{0}};
}

Expected<Value, Error> call_return_result(Core& core, std::span<const Value> args) {
  return done_zero(core.return_result(to_body(args[0]), std::nullopt));
}

Expected<Value, Error> call_return_result_for(Core& core, std::span<const Value> args) {
  const auto id = to_id(args[0], {"ВернутьРезультатЗапроса: ИдЗапроса", "ReturnResultFor: RequestId"});
  if (!id) return Unexpected{id.error()};
  return done(core.return_result(to_body(args[1]), *id));
}

Expected<Value, Error> call_get_request(Core& core, std::span<const Value> args) {
  const auto id = to_id(args[0], {"ПолучитьЗапрос: ИдЗапроса", "GetRequest: RequestId"});
  if (!id) return Unexpected{id.error()};
  const auto request = core.request(*id);
  if (!request) return Unexpected{request_not_found(*id)};
  return Value{request_to_json(*request)};
}

Expected<Value, Error> call_get_request_body(Core& core, std::span<const Value> args) {
  const auto id = to_id(args[0], {"ПолучитьТелоЗапроса: ИдЗапроса", "GetRequestBody: RequestId"});
  if (!id) return Unexpected{id.error()};
  const auto request = core.request(*id);
  if (!request) return Unexpected{request_not_found(*id)};
  return Value{Blob{request->body}};  // 1C gets its own copy; the request may be read again
}

Expected<Value, Error> call_send_response(Core& core, std::span<const Value> args) {
  const auto id = to_id(args[0], {"ОтправитьОтвет: ИдЗапроса", "SendResponse: RequestId"});
  if (!id) return Unexpected{id.error()};

  const ArgName status_arg{"ОтправитьОтвет: КодСостояния", "SendResponse: StatusCode"};
  const auto status = to_unsigned(args[1]);
  if (!status || *status < 100 || *status > 599) {
    return Unexpected{arg_error(status_arg, "ожидалось число от 100 до 599", "a number from 100 to 599 expected")};
  }

  const ArgName headers_arg{"ОтправитьОтвет: Заголовки", "SendResponse: Headers"};
  std::vector<Header> headers;
  if (!std::holds_alternative<std::monostate>(args[2])) {
    const auto text = to_text(args[2], headers_arg);
    if (!text) return Unexpected{text.error()};
    auto parsed = parse_headers_json(*text);
    if (!parsed) return Unexpected{Error("ОтправитьОтвет: Заголовки / SendResponse: Headers: " + parsed.error())};
    headers = std::move(*parsed);
  }
  return done(core.send_response(*id, static_cast<std::uint16_t>(*status), std::move(headers), to_body(args[3])));
}

Expected<Value, Error> call_wait_request(Core& core, std::span<const Value> args) {
  const ArgName arg{"ОжидатьЗапрос: ТаймаутСекунд", "WaitRequest: TimeoutSeconds"};
  double seconds = 0;
  if (const auto* i = std::get_if<std::int64_t>(&args[0])) {
    seconds = static_cast<double>(*i);
  } else if (const auto* d = std::get_if<double>(&args[0])) {
    seconds = *d;
  } else {
    return Unexpected{arg_error(arg, "ожидалось число секунд", "a number of seconds expected")};
  }
  if (!std::isfinite(seconds) || seconds < 0) {
    return Unexpected{
        arg_error(arg, "ожидалось неотрицательное число секунд", "a non-negative number of seconds expected")};
  }
  // Detached, the core returns at once; a pull loop in 1C code would then spin. An error stops it.
  // While a lost service is looked for again the wait is a normal one: the loop goes on when it is back.
  if (!core.attached() && !core.reconnecting()) {
    return Unexpected{
        Error("ОжидатьЗапрос: объект не подключен к службе (сначала Запустить или ПодключитьМаршрут) / "
              "WaitRequest: not attached to the service (call Start or AttachRoute first)")};
  }
  // Capped at about eleven days so the conversion cannot overflow; a 1C call blocked longer is a bug.
  constexpr double kMaxMilliseconds = 1e9;
  const double ms = std::min(std::ceil(seconds * 1000.0), kMaxMilliseconds);
  const auto request = core.wait_request(std::chrono::milliseconds{static_cast<std::int64_t>(ms)});
  if (!request) return Value{};
  return request_id_value(request->id);
}

// ---------------------------------------------------------------------------------------------------
// JSON helpers.

/// Bytes that are not UTF-8 read as ISO-8859-1, so the JSON we produce is always valid UTF-8.
std::string as_utf8_text(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xC0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
  return out;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::optional<Error> check_header(std::string_view name, std::string_view value) {
  if (name.empty()) return Error("пустое имя заголовка / empty header name");
  for (const char c : name) {
    if (!is_token_char(c)) {
      return "недопустимое имя заголовка \"" + as_utf8_text(name) + "\" / invalid header name \"" + as_utf8_text(name) +
             "\"";
    }
  }
  // RFC 9110 5.5: no control characters but HTAB (CR/LF would inject headers; the others make strict
  // clients refuse the response).
  if (std::any_of(value.begin(), value.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return (b < 0x20 && b != '\t') || b == 0x7F;
      })) {
    return "значение заголовка " + std::string(name) + " содержит управляющий символ / the value of header " +
           std::string(name) + " contains a control character";
  }
  return std::nullopt;
}

std::optional<std::string> json_scalar_text(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) return format_double(v.get_double());
  return std::nullopt;
}

}  // namespace

// -----------------------------------------------------------------------------------------------------

char16_t fold_case(char16_t unit) noexcept {
  if (unit >= u'A' && unit <= u'Z') return static_cast<char16_t>(unit + 0x20);
  if (unit >= 0x0410 && unit <= 0x042F) return static_cast<char16_t>(unit + 0x20);  // А-Я -> а-я
  if (unit >= 0x0400 && unit <= 0x040F) return static_cast<char16_t>(unit + 0x50);  // Ѐ-Џ, Ё -> ѐ-џ, ё
  return unit;
}

bool names_equal(std::u16string_view a, std::u16string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold_case(a[i]) != fold_case(b[i])) return false;
  }
  return true;
}

const MethodTable& MethodTable::instance() {
  static const MethodTable table;
  return table;
}

MethodTable::MethodTable() {
  properties_ = {
      {u"Port", u"Порт", &get_port, nullptr},
      {u"Attached", u"Подключен", &get_attached, nullptr},
      {u"Route", u"Маршрут", &get_route, nullptr},
      {u"Version", u"Версия", &get_version, nullptr},
      {u"LastError", u"ПоследняяОшибка", &get_last_error, nullptr},
      {u"Reconnecting", u"Переподключается", &get_reconnecting, nullptr},
      {u"WaitingMode", u"РежимОжидания", &get_waiting_mode, nullptr},
      {u"LogEvents", u"СобытияЖурнала", &get_log_events, &set_log_events},
  };

  const ParamDef request_id{u"RequestId", u"ИдЗапроса", std::nullopt};
  const ParamDef text{u"Text", u"Текст", std::nullopt};
  // Typed defaults (a string of length 0), never Неопределено: some hosts treat an empty default as
  // "no default" and refuse a call that leaves the parameter out.
  const Value empty_text{std::string{}};
  methods_ = {
      // The original's three methods keep its shape: one parameter each but Остановить, and a return value.
      {u"Start", u"Запустить", {{u"Port", u"Порт", std::nullopt}}, true, &call_start},
      {u"AttachRoute", u"ПодключитьМаршрут", {{u"Name", u"Имя", std::nullopt}}, false, &call_attach_route},
      {u"Stop", u"Остановить", {}, true, &call_stop},
      {u"ReturnResult", u"ВернутьРезультат", {text}, true, &call_return_result},
      {u"ReturnResultFor", u"ВернутьРезультатЗапроса", {request_id, text}, false, &call_return_result_for},
      {u"GetRequest", u"ПолучитьЗапрос", {request_id}, true, &call_get_request},
      {u"GetRequestBody", u"ПолучитьТелоЗапроса", {request_id}, true, &call_get_request_body},
      {u"SendResponse",
       u"ОтправитьОтвет",
       {request_id,
        {u"StatusCode", u"КодСостояния", std::nullopt},
        {u"Headers", u"Заголовки", empty_text},
        {u"Body", u"Тело", empty_text}},
       false,
       &call_send_response},
      {u"WaitRequest",
       u"ОжидатьЗапрос",
       {{u"TimeoutSeconds", u"ТаймаутСекунд", std::nullopt}},
       true,
       &call_wait_request},
      {u"AttachForWaiting",
       u"ПодключитьДляОжидания",
       {{u"PortOrRoute", u"ПортИлиМаршрут", std::nullopt}},
       false,
       &call_attach_for_waiting},
  };
}

std::optional<std::size_t> MethodTable::find_property(std::u16string_view name) const noexcept {
  for (std::size_t i = 0; i < properties_.size(); ++i) {
    if (names_equal(name, properties_[i].english) || names_equal(name, properties_[i].russian)) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> MethodTable::find_method(std::u16string_view name) const noexcept {
  for (std::size_t i = 0; i < methods_.size(); ++i) {
    if (names_equal(name, methods_[i].english) || names_equal(name, methods_[i].russian)) return i;
  }
  return std::nullopt;
}

Expected<Value, Error> MethodTable::get_property(std::size_t index, const Core& core) const {
  if (index >= properties_.size()) {
    return Unexpected{
        Error("Нет свойства с номером " + std::to_string(index) + " / no property number " + std::to_string(index))};
  }
  return properties_[index].get(core);
}

Status<Error> MethodTable::set_property(std::size_t index, Core& core, const Value& value) const {
  if (index >= properties_.size()) {
    return Unexpected{
        Error("Нет свойства с номером " + std::to_string(index) + " / no property number " + std::to_string(index))};
  }
  const PropertyDef& property = properties_[index];
  if (property.set == nullptr) {
    auto utf8 = [](std::u16string_view name) {
      auto text = utf16_to_utf8(name);
      return text ? std::move(*text) : std::string("?");
    };
    return Unexpected{Error("Свойство " + utf8(property.russian) + " только для чтения / property " +
                            utf8(property.english) + " is read-only")};
  }
  return property.set(core, value);
}

Expected<Value, Error> MethodTable::call(std::size_t index, Core& core, std::span<const Value> args) const {
  if (index >= methods_.size()) {
    return Unexpected{
        Error("Нет метода с номером " + std::to_string(index) + " / no method number " + std::to_string(index))};
  }
  const MethodDef& method = methods_[index];
  if (args.size() > method.params.size()) {
    return Unexpected{Error("Слишком много параметров метода / too many parameters for method")};
  }
  if (args.size() == method.params.size()) return method.call(core, args);

  std::vector<Value> full(args.begin(), args.end());
  for (std::size_t i = args.size(); i < method.params.size(); ++i) {
    if (!method.params[i].default_value) {
      return Unexpected{Error("Недостаточно параметров метода / not enough parameters for method")};
    }
    full.push_back(*method.params[i].default_value);
  }
  return method.call(core, full);
}

std::string request_to_json(const RequestEnvelope& request) {
  const std::string_view target = request.target;
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  boost::json::object json;
  json["id"] = request.id;
  json["mode"] = to_string(request.mode);
  json["method"] = as_utf8_text(request.method);
  json["target"] = as_utf8_text(target);
  json["path"] = as_utf8_text(path);
  json["query"] = as_utf8_text(query);
  json["remote_address"] = as_utf8_text(request.remote_address);
  json["user"] = as_utf8_text(request.user);
  json["auth_scheme"] = as_utf8_text(request.auth_scheme);
  boost::json::array headers;
  headers.reserve(request.headers.size());
  for (const Header& header : request.headers) {
    headers.push_back(boost::json::array{as_utf8_text(header.name), as_utf8_text(header.value)});
  }
  json["headers"] = std::move(headers);
  json["body_size"] = static_cast<std::uint64_t>(request.body.size());
  if (request.body.size() > kBodyInJsonLimit) {
    json["body_omitted"] = true;
  } else if (is_valid_utf8(request.body)) {
    json["body"] = request.body;
  } else {
    json["body_base64"] = base64_encode(request.body);
  }
  return boost::json::serialize(json);
}

Expected<std::vector<Header>, Error> parse_headers_json(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::vector<Header>{};

  const Error shape_error =
      "ожидался JSON-объект {\"Имя\": \"значение\"} или массив пар [[\"Имя\", \"значение\"]] / "
      "a JSON object {\"Name\": \"value\"} or an array of [\"Name\", \"value\"] pairs expected";
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(text, ec);
  if (ec) return Unexpected{Error("неверный JSON (" + ec.message() + ") / invalid JSON (" + ec.message() + ")")};

  std::vector<Header> headers;
  const auto add = [&](std::string_view name, std::string value) -> std::optional<Error> {
    if (auto problem = check_header(name, value)) return problem;
    headers.push_back(Header{std::string(name), std::move(value)});
    return std::nullopt;
  };

  if (json.is_object()) {
    for (const auto& [name, value] : json.get_object()) {
      if (value.is_array()) {
        for (const auto& item : value.get_array()) {
          auto text_value = json_scalar_text(item);
          if (!text_value) return Unexpected{shape_error};
          if (auto problem = add(name, std::move(*text_value))) return Unexpected{*problem};
        }
        continue;
      }
      auto text_value = json_scalar_text(value);
      if (!text_value) return Unexpected{shape_error};
      if (auto problem = add(name, std::move(*text_value))) return Unexpected{*problem};
    }
    return headers;
  }
  if (json.is_array()) {
    for (const auto& pair : json.get_array()) {
      if (!pair.is_array() || pair.get_array().size() != 2 || !pair.get_array()[0].is_string()) {
        return Unexpected{shape_error};
      }
      auto text_value = json_scalar_text(pair.get_array()[1]);
      if (!text_value) return Unexpected{shape_error};
      if (auto problem = add(pair.get_array()[0].get_string(), std::move(*text_value))) return Unexpected{*problem};
    }
    return headers;
  }
  return Unexpected{shape_error};
}

Expected<std::uint64_t, Error> to_request_id(const Value& value) {
  return to_id(value, {"ИдЗапроса", "RequestId"});
}

Value request_id_value(std::uint64_t id) {
  if (id <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return Value{static_cast<std::int64_t>(id)};
  }
  return Value{static_cast<double>(id)};
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    const std::uint32_t n = (byte(i) << 16) | (rest == 2 ? byte(i + 1) << 8 : 0u);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace hserver::addin
