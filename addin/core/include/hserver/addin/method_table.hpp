#pragma once
/// @brief The add-in's surface as 1C code sees it: read-only properties and methods with Russian and
/// English names, parameter counts, defaults, and handlers that call hserver::addin::Core.
///
/// The table is binding-neutral on purpose: the Native API binding (addin/native) and the COM binding
/// translate their own variant types to and from `Value` and look everything up here, so the two
/// technologies cannot drift apart in names, argument rules or error texts.
///
/// Thread safety: the table is immutable after its first use (a function-local static); lookups may
/// run on any thread. Handlers are as thread-safe as Core (any thread).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hserver/addin/core.hpp"
#include "hserver/common/envelope.hpp"
#include "hserver/common/expected.hpp"

namespace hserver::addin {

/// @brief Raw bytes (ДвоичныеДанные). A distinct type so a binding can tell binary data from text.
struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

/// @brief A value crossing the binding: Неопределено (monostate), Булево, an integer, a fractional
/// number, a UTF-8 string, or binary data. Bindings map integers that fit 32 bits to their I4 type and
/// larger ones to a double (1C numbers), strings to UTF-16.
using Value = std::variant<std::monostate, bool, std::int64_t, double, std::string, Blob>;

/// @brief Which of the two names: the Native API's `alias` argument (0 English, 1 Russian).
enum class NameAlias : int { english = 0, russian = 1 };

/// @brief Case folding as 1C matches names: Latin A-Z, Cyrillic А-Я, Ё and the other U+0400-U+040F
/// capitals map to their lower case; every other UTF-16 unit (surrogates included) is left as is.
char16_t fold_case(char16_t unit) noexcept;

/// @brief True when the names are equal after fold_case of every unit.
bool names_equal(std::u16string_view a, std::u16string_view b) noexcept;

/// @brief A property. `get` never throws on expected failures; it returns an Error. `set` is null for a
/// read-only property (IsPropWritable false).
struct PropertyDef {
  std::u16string_view english;
  std::u16string_view russian;
  Expected<Value, Error> (*get)(const Core& core);
  Status<Error> (*set)(Core& core, const Value& value);
  bool writable() const noexcept { return set != nullptr; }
};

/// @brief One parameter of a method. `default_value` set means the parameter may be omitted in 1C code
/// (the binding answers GetParamDefValue with it, so it is always a typed value, never Неопределено);
/// unset means it is required (Native API: GetParamDefValue returns false; COM: S_OK with VT_EMPTY, as the
/// original add-in answered for its parameters, none of which was optional).
struct ParamDef {
  std::u16string_view english;
  std::u16string_view russian;
  std::optional<Value> default_value;
};

/// @brief A method. `call` receives exactly params.size() arguments (MethodTable::call fills omitted
/// trailing ones from the defaults). For procedures (has_return false) the Value returned is ignored.
struct MethodDef {
  std::u16string_view english;
  std::u16string_view russian;
  std::vector<ParamDef> params;
  bool has_return = false;
  Expected<Value, Error> (*call)(Core& core, std::span<const Value> args);

  std::u16string_view name(NameAlias alias) const noexcept { return alias == NameAlias::russian ? russian : english; }
};

/// @brief The table of everything the add-in object exposes. Indices are stable for the life of the
/// process and are what the binding hands to 1C (FindProp / FindMethod results).
///
/// Properties: Порт/Port (a string, as the original's: "0" when detached), Подключен/Attached (Булево),
/// Маршрут/Route (string, "" when detached), Версия/Version, ПоследняяОшибка/LastError (strings),
/// Переподключается/Reconnecting (Булево: the service was lost and is being looked for again),
/// РежимОжидания/WaitingMode (Булево: «режим ожидания», requests come only from ОжидатьЗапрос), all
/// read-only; СобытияЖурнала/LogEvents (Булево, writable, Ложь by default): the original's "Log" events.
///
/// Methods and their argument rules. The original's three (Запустить, Остановить, ВернутьРезультат) keep
/// its parameter counts and are functions returning the number 0, so 1C code may call them as statements
/// or inside expressions; in both bindings CallAsProc and CallAsFunc do the same work.
/// - Запустить(Порт) / Start(Port): a number (or digit string) 1-65535 -> Core::start_on_port.
/// - ПодключитьМаршрут(Имя) / AttachRoute(Name): a non-empty string -> Core::attach_route.
/// - ПодключитьДляОжидания(ПортИлиМаршрут) / AttachForWaiting(PortOrRoute): a number is a port, a string
///   a route name; attaches in «режим ожидания» (Core AttachMode::waiting).
/// - Остановить() / Stop() -> Core::stop.
/// - ВернутьРезультат(Текст) / ReturnResult(Text): answers the oldest delivered request. Text is sent
///   as is; numbers and Булево are written plainly ("12.5", "true"), ДвоичныеДанные as bytes,
///   Неопределено as "".
/// - ВернутьРезультатЗапроса(ИдЗапроса, Текст) / ReturnResultFor(RequestId, Text): the same for one request.
/// - ПолучитьЗапрос(ИдЗапроса) / GetRequest(RequestId) -> JSON text (request_to_json).
/// - ПолучитьТелоЗапроса(ИдЗапроса) / GetRequestBody(RequestId) -> ДвоичныеДанные.
/// - ОтправитьОтвет(ИдЗапроса, КодСостояния, Заголовки = "", Тело = "") /
///   SendResponse(RequestId, StatusCode, Headers = "", Body = ""): status 100-599; Headers as parse_headers_json;
///   Body as ВернутьРезультат's Text (a string goes as UTF-8, ДвоичныеДанные as bytes).
/// - ОжидатьЗапрос(ТаймаутСекунд) / WaitRequest(TimeoutSeconds): a non-negative number, fractions
///   allowed -> the request id (request_id_value) or Неопределено on timeout. Raises when detached (and
///   not reconnecting), so that a pull loop in 1C code cannot spin on an object that will never receive
///   anything; while reconnecting it waits as usual.
/// Request ids are accepted as any integer number, an integral double, or a string of digits
/// (to_request_id).
class MethodTable {
 public:
  /// @brief The single table (built once, thread-safe initialisation, never destroyed before exit).
  static const MethodTable& instance();

  std::span<const PropertyDef> properties() const noexcept { return properties_; }
  std::span<const MethodDef> methods() const noexcept { return methods_; }

  /// @brief Index of the property whose Russian or English name matches (case-insensitively as 1C).
  std::optional<std::size_t> find_property(std::u16string_view name) const noexcept;
  /// @brief Index of the method whose Russian or English name matches (case-insensitively as 1C).
  std::optional<std::size_t> find_method(std::u16string_view name) const noexcept;

  /// @brief Reads property `index` (must be < properties().size(); otherwise an Error).
  Expected<Value, Error> get_property(std::size_t index, const Core& core) const;
  /// @brief Writes property `index`; a read-only one (or a value of the wrong type) is an Error.
  Status<Error> set_property(std::size_t index, Core& core, const Value& value) const;

  /// @brief Calls method `index` with `args`. Fewer arguments than parameters are completed from the
  /// defaults (a missing required one is an Error); more is an Error. Never throws for bad arguments:
  /// the message (Russian, then English) is meant for AddError. May throw std::bad_alloc.
  Expected<Value, Error> call(std::size_t index, Core& core, std::span<const Value> args) const;

 private:
  MethodTable();
  std::vector<PropertyDef> properties_;
  std::vector<MethodDef> methods_;
};

/// @brief The JSON text ПолучитьЗапрос / GetRequest returns:
/// `{"id":N,"mode":"http"|"legacy","method":"...","target":"/p?q","path":"/p","query":"q",
///   "remote_address":"...","headers":[["Name","value"],...],"body_size":N,"body":"..."}`.
/// `headers` is an array of [name, value] pairs in arrival order, so repeated headers survive.
/// `path` and `query` are the target split at the first '?', not percent-decoded (1C code can use
/// РаскодироватьСтроку). `body` is present when the body is valid UTF-8; otherwise it is omitted and
/// `body_base64` carries the bytes. Header values and the target that are not valid UTF-8 are read as
/// ISO-8859-1 (RFC 9110 obs-text), so the JSON is always valid. A body over kBodyInJsonLimit is left out
/// (`"body_omitted":true`, `body_size` still given): 1C reads it with ПолучитьТелоЗапроса, as binary data,
/// without the base64 and UTF-16 copies of a multi-megabyte string.
inline constexpr std::size_t kBodyInJsonLimit = 1u << 20;
std::string request_to_json(const RequestEnvelope& request);

/// @brief Parses the Заголовки / Headers argument of ОтправитьОтвет: "" means none; a JSON object
/// {"Name":"value"} (a value may be an array of strings for a repeated header, or a number); or an array
/// of [name, value] pairs as request_to_json produces. Names must be HTTP tokens, values must not hold
/// control characters other than HTAB (no header injection; RFC 9110 5.5).
Expected<std::vector<Header>, Error> parse_headers_json(std::string_view text);

/// @brief A request id from 1C: an integer number, an integral double, or a string of decimal digits.
Expected<std::uint64_t, Error> to_request_id(const Value& value);

/// @brief The Value a request id is returned as: an integer when it fits int64 (bindings narrow it to
/// I4 when it fits 32 bits), otherwise a double.
Value request_id_value(std::uint64_t id);

/// @brief Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);

}  // namespace hserver::addin
