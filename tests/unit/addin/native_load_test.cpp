// The built lib1chserver_addin.so, loaded through the 1C host emulator exactly as 1C loads it: exports,
// vtable slots, tVariant arguments and results, the memory ledger. No service runs: the object stays
// detached and every call that needs one fails the way 1C code would see it.

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <string>

#include "hserver/host/session.hpp"
#include "hserver/host/text.hpp"

#ifndef HSERVER_ADDIN_SO
#error "HSERVER_ADDIN_SO must name the add-in library under test"
#endif

namespace hserver::host {
namespace {

using namespace std::chrono_literals;

/// Flips the case of every Latin and Cyrillic letter: "Порт" -> "пОРТ", as careless 1C code might.
std::u16string odd_case(std::u16string_view name) {
  std::u16string out(name);
  for (auto& c : out) {
    if (c >= u'a' && c <= u'z')
      c = static_cast<char16_t>(c - 0x20);
    else if (c >= u'A' && c <= u'Z')
      c = static_cast<char16_t>(c + 0x20);
    else if (c >= 0x0430 && c <= 0x044F)
      c = static_cast<char16_t>(c - 0x20);
    else if (c >= 0x0410 && c <= 0x042F)
      c = static_cast<char16_t>(c + 0x20);
    else if (c == 0x0451)
      c = 0x0401;
    else if (c == 0x0401)
      c = 0x0451;
  }
  return out;
}

struct Name {
  std::u16string_view english;
  std::u16string_view russian;
};

// Written from the product spec, not from the add-in's table, so a renamed entry fails here.
constexpr Name kProperties[] = {
    {u"Port", u"Порт"},
    {u"Attached", u"Подключен"},
    {u"Route", u"Маршрут"},
    {u"Version", u"Версия"},
    {u"LastError", u"ПоследняяОшибка"},
    {u"Reconnecting", u"Переподключается"},
    {u"WaitingMode", u"РежимОжидания"},
    {u"LogEvents", u"СобытияЖурнала"},
};

struct MethodShape {
  Name name;
  long params;
  bool has_return;
};
// The original's three (original-api.md): its parameter counts, and functions (HasRetVal true).
constexpr MethodShape kMethods[] = {
    {{u"Start", u"Запустить"}, 1, true},
    {{u"AttachRoute", u"ПодключитьМаршрут"}, 1, false},
    {{u"Stop", u"Остановить"}, 0, true},
    {{u"ReturnResult", u"ВернутьРезультат"}, 1, true},
    {{u"ReturnResultFor", u"ВернутьРезультатЗапроса"}, 2, false},
    {{u"GetRequest", u"ПолучитьЗапрос"}, 1, true},
    {{u"GetRequestBody", u"ПолучитьТелоЗапроса"}, 1, true},
    {{u"SendResponse", u"ОтправитьОтвет"}, 4, false},
    {{u"WaitRequest", u"ОжидатьЗапрос"}, 1, true},
    {{u"AttachForWaiting", u"ПодключитьДляОжидания"}, 1, false},
};

std::string violations_text(const Session& session) {
  std::string text;
  for (const auto& v : const_cast<Session&>(session).violations().list()) text += v + "\n";
  return text;
}

// The add-in reads its shm prefix from the environment, as it would in a 1C process.
void set_environment(const char* name, const std::string& value) {
#ifdef _WIN32
  _putenv_s(name, value.c_str());
#else
  ::setenv(name, value.c_str(), 1);
#endif
}

class NativeAddin : public ::testing::Test {
 protected:
  void SetUp() override {
    // A prefix of our own: a service running on this machine must not answer the test.
    prefix_ = "hsut" + std::to_string(getpid());
    set_environment("HSERVER_SHM_PREFIX", prefix_);
    session_ = std::make_unique<Session>(SessionOptions{.addin_path = HSERVER_ADDIN_SO});
  }

  void TearDown() override {
    session_->close();
    EXPECT_TRUE(session_->violations().empty()) << violations_text(*session_);
    EXPECT_EQ(session_->ledger().live_blocks(), 0u);
  }

  Session& s() { return *session_; }

  std::string prefix_;
  std::unique_ptr<Session> session_;
};

TEST_F(NativeAddin, ExportsAndRegistration) {
  ASSERT_EQ(s().class_names().size(), 1u);
  EXPECT_EQ(s().class_names()[0], u"HServer");
  EXPECT_EQ(s().capabilities_answer(), 3);
  EXPECT_EQ(s().attach_type(), std::optional<int>{abi::kCanAttachAny});
  EXPECT_EQ(s().extension_name(), u"1CHServer");
  EXPECT_EQ(s().object().get_info(), 2000);
  // RegisterExtensionAs, and every name below, went through AllocMemory and was freed by the host.
  EXPECT_GE(s().ledger().total_allocations(), 1u);
}

TEST_F(NativeAddin, EveryPropertyByBothNamesInOddCase) {
  EXPECT_EQ(s().object().get_n_props(), static_cast<long>(std::size(kProperties)));
  for (const auto& p : kProperties) {
    const long by_english = s().object().find_prop(odd_case(p.english));
    const long by_russian = s().object().find_prop(odd_case(p.russian));
    EXPECT_GE(by_english, 0) << to_utf8_lossy(p.english);
    EXPECT_EQ(by_english, by_russian) << to_utf8_lossy(p.russian);
    EXPECT_EQ(s().object().get_prop_name(by_english, 0), std::u16string(p.english));
    EXPECT_EQ(s().object().get_prop_name(by_english, 1), std::u16string(p.russian));
    EXPECT_TRUE(s().object().is_prop_readable(by_english));
    EXPECT_EQ(s().object().is_prop_writable(by_english), p.english == u"LogEvents") << to_utf8_lossy(p.english);
  }
  EXPECT_EQ(s().object().find_prop(u"НетТакого"), -1);
  EXPECT_EQ(s().object().get_prop_name(99, 0), std::nullopt);
}

TEST_F(NativeAddin, EveryMethodByBothNamesInOddCaseWithItsShape) {
  EXPECT_EQ(s().object().get_n_methods(), static_cast<long>(std::size(kMethods)));
  for (const auto& m : kMethods) {
    const long by_english = s().object().find_method(odd_case(m.name.english));
    const long by_russian = s().object().find_method(odd_case(m.name.russian));
    EXPECT_GE(by_english, 0) << to_utf8_lossy(m.name.english);
    EXPECT_EQ(by_english, by_russian) << to_utf8_lossy(m.name.russian);
    EXPECT_EQ(s().object().get_method_name(by_english, 0), std::u16string(m.name.english));
    EXPECT_EQ(s().object().get_method_name(by_english, 1), std::u16string(m.name.russian));
    EXPECT_EQ(s().object().get_n_params(by_english), m.params) << to_utf8_lossy(m.name.english);
    EXPECT_EQ(s().object().has_ret_val(by_english), m.has_return) << to_utf8_lossy(m.name.english);
  }
  EXPECT_EQ(s().object().find_method(u"Выполнить"), -1);
}

TEST_F(NativeAddin, DefaultValuesOfOptionalParametersAreTyped) {
  const long return_result = s().object().find_method(u"ВернутьРезультат");
  EXPECT_EQ(s().object().get_param_def_value(return_result, 0), std::nullopt);  // Текст is required
  EXPECT_EQ(s().object().get_param_def_value(return_result, 1), std::nullopt);  // no second parameter
  const long send = s().object().find_method(u"SendResponse");
  EXPECT_EQ(s().object().get_param_def_value(send, 0), std::nullopt);
  EXPECT_EQ(s().object().get_param_def_value(send, 1), std::nullopt);
  // PWSTR of length 0 (the ledger checked it was 1C-allocated and freed), never VTYPE_EMPTY.
  EXPECT_EQ(s().object().get_param_def_value(send, 2), std::optional<Value>{Value{std::string()}});
  EXPECT_EQ(s().object().get_param_def_value(send, 3), std::optional<Value>{Value{std::string()}});
  EXPECT_EQ(s().object().get_param_def_value(send, 4), std::nullopt);
  // Every parameter of every method: required (false) or a typed default, never an empty value.
  for (long m = 0; m < s().object().get_n_methods(); ++m) {
    for (long p = 0; p < s().object().get_n_params(m); ++p) {
      const auto value = s().object().get_param_def_value(m, p);
      if (value) {
        EXPECT_FALSE(std::holds_alternative<std::monostate>(*value)) << "method " << m << " param " << p;
      }
    }
  }
}

TEST_F(NativeAddin, OmittedArgumentsPassAStrictHost) {
  // The strict host refuses an empty default (and records a violation); these calls reach the add-in and
  // fail only for want of an attached service / a request.
  const auto sent = s().call(u"ОтправитьОтвет", {Value{std::int32_t{5}}, Value{std::int32_t{200}}});
  ASSERT_TRUE(sent.raised());
  EXPECT_EQ(sent.error_text().find("Недостаточно фактических параметров"), std::string::npos) << sent.error_text();
  const auto returned = s().call(u"ВернутьРезультат", {Value{std::string("ответ")}});
  ASSERT_TRUE(returned.raised());
  EXPECT_EQ(returned.error_text().find("Недостаточно фактических параметров"), std::string::npos)
      << returned.error_text();
}

TEST_F(NativeAddin, TheOriginalsMethodsWorkAsStatementsAndInExpressions) {
  const long stop = s().object().find_method(u"Остановить");
  const auto in_expression = s().object().call_as_func(stop, {});
  ASSERT_TRUE(in_expression.ok()) << in_expression.error_text();
  EXPECT_EQ(in_expression.value, Value{std::int32_t{0}}) << describe(in_expression.value);  // the number 0
  EXPECT_TRUE(s().object().call_as_proc(stop, {}).ok());
  // Both calls do the work: Запустить tries to attach (no service here) and says why it failed, whether
  // 1C calls it as a function or as a procedure.
  const long start = s().object().find_method(u"Запустить");
  const Value port[] = {Value{std::int32_t{3188}}};
  const auto as_function = s().object().call_as_func(start, port);
  const auto as_procedure = s().object().call_as_proc(start, port);
  ASSERT_TRUE(as_function.raised());
  ASSERT_TRUE(as_procedure.raised());
  EXPECT_EQ(as_function.error_text(), as_procedure.error_text());
  EXPECT_EQ(as_function.error_text().find("не возвращает значение"), std::string::npos) << as_function.error_text();
  // ВернутьРезультат(Текст): one argument, both ways, the core's own refusal (no request in hand).
  const long return_result = s().object().find_method(u"ВернутьРезультат");
  const Value text[] = {Value{std::string("ответ")}};
  const auto returned = s().object().call_as_func(return_result, text);
  ASSERT_TRUE(returned.raised());
  EXPECT_NE(returned.error_text().find("no request is waiting"), std::string::npos) << returned.error_text();
  EXPECT_EQ(s().object().call_as_proc(return_result, text).error_text(), returned.error_text());
}

TEST_F(NativeAddin, LogEventsAreOffByDefaultAndCarryTheOriginalsFormat) {
  EXPECT_EQ(s().get(u"СобытияЖурнала").value, Value{false});
  EXPECT_TRUE(s().call(u"Остановить").ok());
  EXPECT_EQ(s().connection().queued_events(), 0u) << "no Log event unless asked for";

  ASSERT_TRUE(s().set(u"СобытияЖурнала", Value{true}).ok());
  EXPECT_EQ(s().get(u"LogEvents").value, Value{true});
  EXPECT_TRUE(s().call(u"Остановить").ok());
  const auto event = s().connection().take_event(1s);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->source, "1CHServer");
  EXPECT_EQ(event->name, "Log");
  // DateTime.Now.ToString() under a Russian locale, " - ", then the original's message.
  EXPECT_TRUE(std::regex_match(event->data, std::regex(R"(\d\d\.\d\d\.\d{4} \d{1,2}:\d\d:\d\d - Сервер не запущен)")))
      << event->data;
  EXPECT_TRUE(s().set(u"LogEvents", Value{std::string("да")}).raised()) << "only Булево";
}

TEST_F(NativeAddin, PropertiesWhenDetached) {
  const auto port = s().get(u"ПОРТ");
  ASSERT_TRUE(port.ok()) << port.error_text();
  EXPECT_EQ(port.value, Value{std::string("0")});  // a string, as the original's ("0" before Start)
  EXPECT_EQ(s().get(u"РежимОжидания").value, Value{false});
  EXPECT_EQ(s().get(u"attached").value, Value{false});
  EXPECT_EQ(s().get(u"Маршрут").value, Value{std::string()});
  const auto version = s().get(u"версия");
  ASSERT_TRUE(std::holds_alternative<std::string>(version.value)) << describe(version.value);
  EXPECT_FALSE(std::get<std::string>(version.value).empty());
  EXPECT_TRUE(std::holds_alternative<std::string>(s().get(u"LastError").value));
}

TEST_F(NativeAddin, PropertiesAreReadOnlyButLogEvents) {
  const long port = s().object().find_prop(u"Port");
  const auto result = s().object().set_prop_val(port, Value{std::int32_t{1}});
  EXPECT_TRUE(result.raised());
  EXPECT_NE(result.error_text().find("только для чтения"), std::string::npos) << result.error_text();
}

TEST_F(NativeAddin, StartWithoutAServiceFailsWithAClearError) {
  const auto started = s().call(u"запустить", {Value{std::int32_t{3188}}});
  ASSERT_TRUE(started.raised());
  ASSERT_EQ(started.errors.size(), 1u);
  const AddErrorRecord& error = started.errors[0];
  EXPECT_EQ(error.code, 1006);  // ADDIN_E_FAIL
  EXPECT_EQ(error.source, "1CHServer");
  EXPECT_NE(error.scode, 0) << "a zero scode would not raise an exception in 1C code";
  EXPECT_GT(error.description.size(), 10u) << error.description;
  EXPECT_EQ(s().get(u"Подключен").value, Value{false});
  EXPECT_EQ(s().get(u"ПоследняяОшибка").value, Value{error.description});
}

TEST_F(NativeAddin, AttachRouteWithoutAServiceFails) {
  const auto attached = s().call(u"AttachRoute", {Value{std::string("маршрут")}});
  EXPECT_TRUE(attached.raised());
  EXPECT_FALSE(attached.error_text().empty());
}

TEST_F(NativeAddin, AnsweringWhenDetachedFails) {
  EXPECT_TRUE(s().call(u"ВернутьРезультат", {Value{std::string("ответ")}}).raised());
  const auto two = s().call(u"ReturnResult", {Value{std::string("ответ")}, Value{std::string("5")}});
  ASSERT_TRUE(two.raised());
  EXPECT_NE(two.error_text().find("Слишком много фактических параметров"), std::string::npos) << two.error_text();
  const auto for_id = s().call(u"ВернутьРезультатЗапроса", {Value{std::string("5")}, Value{std::string("ответ")}});
  ASSERT_TRUE(for_id.raised());
  EXPECT_NE(for_id.error_text().find('5'), std::string::npos) << for_id.error_text();
  const auto request = s().call(u"ПолучитьЗапрос", {Value{std::string("5")}});
  ASSERT_TRUE(request.raised());
  EXPECT_NE(request.error_text().find('5'), std::string::npos) << request.error_text();
  EXPECT_TRUE(s().call(u"GetRequestBody", {Value{std::uint64_t{5}}}).raised());
  EXPECT_TRUE(s().call(u"ОтправитьОтвет", {Value{std::int32_t{5}}, Value{std::int32_t{200}}}).raised());
  EXPECT_TRUE(s().call(u"SendResponse", {Value{5.0}, Value{std::int32_t{200}}, Value{std::string(R"({"X-A":"1"})")},
                                         Value{Blob{"body"}}})
                  .raised());
}

TEST_F(NativeAddin, WaitRequestWhenDetachedRaisesAtOnce) {
  const auto started = std::chrono::steady_clock::now();
  const auto waited = s().call(u"ОжидатьЗапрос", {Value{0.5}});
  EXPECT_TRUE(waited.raised());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 400ms);
}

TEST_F(NativeAddin, BadArgumentsRaiseWithTheParameterNamed) {
  const auto text_port = s().call(u"Start", {Value{std::string("порт")}});
  ASSERT_TRUE(text_port.raised());
  EXPECT_NE(text_port.error_text().find("Порт"), std::string::npos) << text_port.error_text();
  EXPECT_TRUE(s().call(u"Start", {Value{std::int32_t{0}}}).raised());
  EXPECT_TRUE(s().call(u"SendResponse", {Value{std::int32_t{1}}, Value{std::int32_t{42}}}).raised());
  // Missing a required argument: the host (as 1C) refuses before calling.
  EXPECT_TRUE(s().call(u"Start").raised());
  EXPECT_TRUE(s().call(u"Stop", {Value{std::int32_t{1}}}).raised());
}

TEST_F(NativeAddin, StopWhenDetachedIsHarmless) {
  EXPECT_TRUE(s().call(u"остановить").ok());
  EXPECT_TRUE(s().call_proc(u"Stop").ok());
}

TEST_F(NativeAddin, FunctionCalledAsProcedureAndProcedureAsFunction) {
  // 1C code may call a function as a procedure: the value is dropped, the error still raised.
  EXPECT_TRUE(s().call_proc(u"ПолучитьЗапрос", {Value{std::int32_t{1}}}).raised());
  // CallAsFunc on a procedure is refused with an error, not a crash.
  const long attach = s().object().find_method(u"AttachRoute");
  const Value name[] = {Value{std::string("маршрут")}};
  const auto refused = s().object().call_as_func(attach, name);
  ASSERT_TRUE(refused.raised());
  EXPECT_NE(refused.error_text().find("не возвращает значение"), std::string::npos) << refused.error_text();
}

TEST_F(NativeAddin, OutOfRangeIndicesAreRefused) {
  EXPECT_EQ(s().object().get_n_params(-1), 0);
  EXPECT_FALSE(s().object().has_ret_val(1000));
  EXPECT_TRUE(s().object().call_as_proc(1000, {}).raised());
  EXPECT_TRUE(s().object().get_prop_val(-5).raised());
  EXPECT_EQ(s().object().get_method_name(0, 7), std::nullopt);
}

TEST(NativeAddinObjects, TwoObjectsAtOnce) {
  Session first({.addin_path = HSERVER_ADDIN_SO});
  Session second({.addin_path = HSERVER_ADDIN_SO});
  EXPECT_EQ(first.get(u"Порт").value, Value{std::string("0")});
  EXPECT_EQ(second.get(u"Port").value, Value{std::string("0")});
  first.close();
  EXPECT_EQ(second.get(u"Attached").value, Value{false});
  second.close();
  EXPECT_TRUE(first.violations().empty()) << violations_text(first);
  EXPECT_TRUE(second.violations().empty()) << violations_text(second);
}

TEST(NativeAddinObjects, UnknownClassIsRefused) {
  EXPECT_THROW(Session({.addin_path = HSERVER_ADDIN_SO, .class_name = u"Other"}), std::runtime_error);
}

TEST(NativeAddinObjects, MissingLibraryIsAClearError) {
  try {
    Session session({.addin_path = "/nonexistent/lib1chserver_addin.so"});
    FAIL() << "loaded a library that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hserver::host
