// The binding-neutral method table: names (Russian / English, 1C's case folding), the shape of every
// method, argument rules, and the JSON helpers. The Core is detached (never attached), so every call
// that needs a service fails with the core's own error.

#include "hserver/addin/method_table.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>  // declarations only: the implementation is compiled into the add-in core

#include <limits>

namespace hserver::addin {
namespace {

const MethodTable& table() {
  return MethodTable::instance();
}

std::size_t method(std::u16string_view name) {
  const auto index = table().find_method(name);
  EXPECT_TRUE(index.has_value());
  return index.value_or(0);
}

TEST(FoldCase, LatinAndCyrillic) {
  EXPECT_EQ(fold_case(u'A'), u'a');
  EXPECT_EQ(fold_case(u'Z'), u'z');
  EXPECT_EQ(fold_case(u'a'), u'a');
  EXPECT_EQ(fold_case(u'А'), u'а');
  EXPECT_EQ(fold_case(u'Я'), u'я');
  EXPECT_EQ(fold_case(u'Ё'), u'ё');
  EXPECT_EQ(fold_case(u'Є'), u'є');
  EXPECT_EQ(fold_case(u'ё'), u'ё');
  EXPECT_EQ(fold_case(u'1'), u'1');
  EXPECT_EQ(fold_case(u'_'), u'_');
  EXPECT_EQ(fold_case(char16_t{0xD83D}), char16_t{0xD83D});  // surrogates untouched
}

TEST(NamesEqual, IgnoresCaseOnly) {
  EXPECT_TRUE(names_equal(u"ПОДКЛЮЧЕН", u"подключен"));
  EXPECT_TRUE(names_equal(u"ёЖИК", u"ЁжИк"));
  EXPECT_TRUE(names_equal(u"lastERROR", u"LastError"));
  EXPECT_FALSE(names_equal(u"Порт", u"Порт "));
  EXPECT_FALSE(names_equal(u"Ежик", u"Ёжик"));  // Е and Ё are different letters
  EXPECT_FALSE(names_equal(u"Port", u"Рort"));  // Cyrillic Р is not Latin P
}

TEST(MethodTable, FindsPropertiesByEitherNameInAnyCase) {
  EXPECT_EQ(table().find_property(u"Порт"), table().find_property(u"port"));
  EXPECT_EQ(table().find_property(u"пОРТ"), table().find_property(u"PORT"));
  EXPECT_EQ(table().find_property(u"подключен"), table().find_property(u"ATTACHED"));
  EXPECT_EQ(table().find_property(u"МАРШРУТ"), table().find_property(u"route"));
  EXPECT_EQ(table().find_property(u"вЕРСИЯ"), table().find_property(u"Version"));
  EXPECT_EQ(table().find_property(u"ПоследняяОшибка"), table().find_property(u"lasterror"));
  for (const auto* name : {u"Порт", u"Подключен", u"Маршрут", u"Версия", u"ПоследняяОшибка"}) {
    EXPECT_TRUE(table().find_property(name).has_value());
  }
  EXPECT_FALSE(table().find_property(u"Порты").has_value());
  EXPECT_FALSE(table().find_property(u"").has_value());
  EXPECT_FALSE(table().find_property(u"Запустить").has_value());  // a method, not a property
}

TEST(MethodTable, FindsMethodsByEitherNameInAnyCase) {
  EXPECT_EQ(method(u"запустить"), method(u"START"));
  EXPECT_EQ(method(u"ПодключитьМаршрут"), method(u"attachroute"));
  EXPECT_EQ(method(u"ОСТАНОВИТЬ"), method(u"Stop"));
  EXPECT_EQ(method(u"вернутьрезультат"), method(u"ReturnResult"));
  EXPECT_EQ(method(u"ПолучитьЗапрос"), method(u"getrequest"));
  EXPECT_EQ(method(u"ПОЛУЧИТЬТЕЛОЗАПРОСА"), method(u"GetRequestBody"));
  EXPECT_EQ(method(u"ОтправитьОтвет"), method(u"sendRESPONSE"));
  EXPECT_EQ(method(u"ожидатьзапрос"), method(u"WaitRequest"));
  EXPECT_EQ(method(u"ВернутьРезультатЗапроса"), method(u"returnresultfor"));
  EXPECT_EQ(method(u"ПодключитьДляОжидания"), method(u"AttachForWaiting"));
  EXPECT_FALSE(table().find_method(u"Execute").has_value());
  EXPECT_FALSE(table().find_method(u"Порт").has_value());
}

struct ExpectedMethod {
  std::u16string_view english;
  std::u16string_view russian;
  std::size_t params;
  std::size_t required;
  bool has_return;
};

TEST(MethodTable, EveryMethodHasTheDocumentedShape) {
  // The original's three keep its parameter counts and are functions (HasRetVal true).
  const ExpectedMethod expected[] = {
      {u"Start", u"Запустить", 1, 1, true},
      {u"AttachRoute", u"ПодключитьМаршрут", 1, 1, false},
      {u"Stop", u"Остановить", 0, 0, true},
      {u"ReturnResult", u"ВернутьРезультат", 1, 1, true},
      {u"ReturnResultFor", u"ВернутьРезультатЗапроса", 2, 2, false},
      {u"GetRequest", u"ПолучитьЗапрос", 1, 1, true},
      {u"GetRequestBody", u"ПолучитьТелоЗапроса", 1, 1, true},
      {u"SendResponse", u"ОтправитьОтвет", 4, 2, false},
      {u"WaitRequest", u"ОжидатьЗапрос", 1, 1, true},
      {u"AttachForWaiting", u"ПодключитьДляОжидания", 1, 1, false},
  };
  ASSERT_EQ(table().methods().size(), std::size(expected));
  for (const auto& e : expected) {
    const MethodDef& m = table().methods()[method(e.english)];
    EXPECT_EQ(m.russian, e.russian);
    EXPECT_EQ(m.name(NameAlias::english), e.english);
    EXPECT_EQ(m.name(NameAlias::russian), e.russian);
    EXPECT_EQ(m.params.size(), e.params);
    EXPECT_EQ(m.has_return, e.has_return);
    std::size_t required = 0;
    bool optional_seen = false;
    for (const auto& p : m.params) {
      if (!p.default_value) {
        ++required;
        EXPECT_FALSE(optional_seen) << "a required parameter after an optional one cannot be left out";
        continue;
      }
      optional_seen = true;
      // A typed default, never Неопределено: strict hosts read an empty default as "required".
      EXPECT_FALSE(std::holds_alternative<std::monostate>(*p.default_value)) << "default of " << e.english.size();
      EXPECT_EQ(*p.default_value, Value{std::string{}}) << "optional texts default to an empty string";
    }
    EXPECT_EQ(required, e.required);
  }
  EXPECT_EQ(table().properties().size(), 8u);
}

TEST(MethodTable, TheOriginalsMethodsReturnTheNumberZero) {
  // Detached, Остановить is the one of the three that succeeds; it gives 0 as the original's did.
  Core core(nullptr);
  const auto stopped = table().call(method(u"Остановить"), core, {});
  ASSERT_TRUE(stopped.has_value()) << stopped.error();
  EXPECT_EQ(*stopped, Value{std::int64_t{0}});
}

TEST(MethodTable, OnlyLogEventsIsWritable) {
  Core core(nullptr);
  for (std::size_t i = 0; i < table().properties().size(); ++i) {
    const PropertyDef& p = table().properties()[i];
    EXPECT_EQ(p.writable(), p.english == u"LogEvents") << i;
    if (!p.writable()) {
      const auto refused = table().set_property(i, core, Value{true});
      ASSERT_FALSE(refused.has_value());
      EXPECT_NE(refused.error().find("только для чтения"), std::string::npos) << refused.error();
    }
  }
  const std::size_t log = table().find_property(u"СобытияЖурнала").value();
  EXPECT_EQ(*table().get_property(log, core), Value{false}) << "off by default";
  ASSERT_TRUE(table().set_property(log, core, Value{true}).has_value());
  EXPECT_EQ(*table().get_property(log, core), Value{true});
  EXPECT_TRUE(core.log_events());
  EXPECT_FALSE(table().set_property(log, core, Value{std::string("Истина")}).has_value()) << "only Булево";
  ASSERT_TRUE(table().set_property(log, core, Value{false}).has_value());
  EXPECT_FALSE(core.log_events());
}

TEST(MethodTable, DetachedPropertyValues) {
  Core core(nullptr);
  const auto index = [](std::u16string_view name) { return table().find_property(name).value(); };
  EXPECT_EQ(*table().get_property(index(u"Порт"), core), Value{std::string("0")}) << "a string, as the original's";
  EXPECT_EQ(*table().get_property(index(u"РежимОжидания"), core), Value{false});
  EXPECT_EQ(*table().get_property(index(u"Подключен"), core), Value{false});
  EXPECT_EQ(*table().get_property(index(u"Маршрут"), core), Value{std::string()});
  const auto version = table().get_property(index(u"Версия"), core);
  ASSERT_TRUE(std::holds_alternative<std::string>(*version));
  EXPECT_FALSE(std::get<std::string>(*version).empty());
  EXPECT_TRUE(std::holds_alternative<std::string>(*table().get_property(index(u"ПоследняяОшибка"), core)));
  EXPECT_FALSE(table().get_property(99, core).has_value());
}

TEST(MethodTable, ArgumentErrorsNameTheMethodAndParameter) {
  Core core(nullptr);
  const Value bad_port[] = {Value{std::string("abc")}};
  const auto started = table().call(method(u"Start"), core, bad_port);
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("Запустить: Порт"), std::string::npos) << started.error();
  EXPECT_NE(started.error().find("Start: Port"), std::string::npos) << started.error();

  const Value out_of_range[] = {Value{std::int64_t{70000}}};
  EXPECT_FALSE(table().call(method(u"Start"), core, out_of_range).has_value());

  const Value bad_status[] = {Value{std::int64_t{1}}, Value{std::int64_t{99}}};
  const auto sent = table().call(method(u"SendResponse"), core, bad_status);
  ASSERT_FALSE(sent.has_value());
  EXPECT_NE(sent.error().find("КодСостояния"), std::string::npos) << sent.error();

  const Value bad_headers[] = {Value{std::int64_t{1}}, Value{std::int64_t{200}}, Value{std::string("{oops")}, Value{}};
  const auto headers = table().call(method(u"SendResponse"), core, bad_headers);
  ASSERT_FALSE(headers.has_value());
  EXPECT_NE(headers.error().find("Заголовки"), std::string::npos) << headers.error();

  const Value negative_wait[] = {Value{-1.0}};
  EXPECT_FALSE(table().call(method(u"WaitRequest"), core, negative_wait).has_value());
}

TEST(MethodTable, WaitRequestDetachedFailsAtOnce) {
  // A pull loop in 1C code must not spin on a detached object: the call raises instead of returning
  // Неопределено immediately.
  Core core(nullptr);
  const Value one_second[] = {Value{std::int64_t{1}}};
  const auto waited = table().call(method(u"ОжидатьЗапрос"), core, one_second);
  ASSERT_FALSE(waited.has_value());
  EXPECT_NE(waited.error().find("WaitRequest"), std::string::npos) << waited.error();
}

TEST(MethodTable, ArgumentCountsAndDefaults) {
  Core core(nullptr);
  EXPECT_FALSE(table().call(method(u"Start"), core, {}).has_value());  // a required parameter missing
  const Value too_many[] = {Value{}, Value{}};
  EXPECT_FALSE(table().call(method(u"Stop"), core, too_many).has_value());
  EXPECT_TRUE(table().call(method(u"Stop"), core, {}).has_value());

  // ReturnResult(Text) is complete with its one argument; detached, the core refuses for want of a request.
  const Value text_only[] = {Value{std::string("answer")}};
  const auto returned = table().call(method(u"ReturnResult"), core, text_only);
  ASSERT_FALSE(returned.has_value());
  EXPECT_EQ(returned.error().find("Недостаточно"), std::string::npos) << returned.error();
  const Value text_and_id[] = {Value{std::string("answer")}, Value{std::int64_t{5}}};
  EXPECT_FALSE(table().call(method(u"ReturnResult"), core, text_and_id).has_value()) << "one parameter only";
  // The answer to one request: both arguments required.
  EXPECT_FALSE(table().call(method(u"ВернутьРезультатЗапроса"), core, text_only).has_value());
  const Value id_and_text[] = {Value{std::int64_t{5}}, Value{std::string("answer")}};
  const auto for_id = table().call(method(u"ВернутьРезультатЗапроса"), core, id_and_text);
  ASSERT_FALSE(for_id.has_value());
  EXPECT_NE(for_id.error().find("5"), std::string::npos) << for_id.error();
  // ОтправитьОтвет(Ид, Код): headers and body from their typed defaults.
  const Value id_and_status[] = {Value{std::int64_t{5}}, Value{std::int64_t{204}}};
  const auto sent = table().call(method(u"SendResponse"), core, id_and_status);
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().find("Недостаточно"), std::string::npos) << sent.error();
  EXPECT_EQ(sent.error().find("Заголовки"), std::string::npos) << sent.error();
}

TEST(MethodTable, AttachForWaitingTakesAPortOrARouteName) {
  Core core(nullptr);
  const Value empty[] = {Value{std::string{}}};
  const auto no_name = table().call(method(u"ПодключитьДляОжидания"), core, empty);
  ASSERT_FALSE(no_name.has_value());
  EXPECT_NE(no_name.error().find("ПортИлиМаршрут"), std::string::npos) << no_name.error();
  const Value bad_port[] = {Value{std::int64_t{0}}};
  EXPECT_FALSE(table().call(method(u"ПодключитьДляОжидания"), core, bad_port).has_value());
  const Value flag[] = {Value{true}};
  EXPECT_FALSE(table().call(method(u"ПодключитьДляОжидания"), core, flag).has_value());
}

TEST(MethodTable, UnknownRequestIsAClearError) {
  Core core(nullptr);
  const Value id[] = {Value{std::int64_t{12345}}};
  const auto request = table().call(method(u"ПолучитьЗапрос"), core, id);
  ASSERT_FALSE(request.has_value());
  EXPECT_NE(request.error().find("12345"), std::string::npos) << request.error();
  EXPECT_FALSE(table().call(method(u"ПолучитьТелоЗапроса"), core, id).has_value());
}

TEST(RequestId, AcceptsNumbersAndDigitStrings) {
  EXPECT_EQ(*to_request_id(Value{std::int64_t{42}}), 42u);
  EXPECT_EQ(*to_request_id(Value{42.0}), 42u);
  EXPECT_EQ(*to_request_id(Value{9007199254740992.0}), 9007199254740992u);  // 2^53
  EXPECT_EQ(*to_request_id(Value{std::string("123")}), 123u);
  EXPECT_EQ(*to_request_id(Value{std::string("12 345")}), 12345u);
  EXPECT_EQ(*to_request_id(Value{std::string("12\xC2\xA0"
                                             "345")}),
            12345u);  // 1C's Строка(12345)
  EXPECT_EQ(*to_request_id(Value{std::string("18446744073709551615")}), std::numeric_limits<std::uint64_t>::max());
  EXPECT_FALSE(to_request_id(Value{std::string("18446744073709551616")}).has_value());
  EXPECT_FALSE(to_request_id(Value{std::int64_t{-1}}).has_value());
  EXPECT_FALSE(to_request_id(Value{1.5}).has_value());
  EXPECT_FALSE(to_request_id(Value{std::string("12a")}).has_value());
  EXPECT_FALSE(to_request_id(Value{std::string()}).has_value());
  EXPECT_FALSE(to_request_id(Value{true}).has_value());
  EXPECT_FALSE(to_request_id(Value{}).has_value());
}

TEST(RequestId, ReturnedAsIntegerOrDouble) {
  EXPECT_EQ(request_id_value(7), Value{std::int64_t{7}});
  EXPECT_EQ(request_id_value(std::numeric_limits<std::uint64_t>::max()),
            Value{static_cast<double>(std::numeric_limits<std::uint64_t>::max())});
}

TEST(RequestJson, CarriesEveryPart) {
  RequestEnvelope request;
  request.id = 17;
  request.mode = RouteMode::http;
  request.method = "POST";
  request.target = "/orders/5?x=1&y=%20";
  request.remote_address = "127.0.0.1:50000";
  request.user = "Кладовщик";
  request.auth_scheme = "basic";
  request.headers = {{"Content-Type", "application/json"}, {"X-A", "1"}, {"X-A", "2"}};
  request.body = "{\"имя\":\"значение\"}";

  const auto json = boost::json::parse(request_to_json(request)).as_object();
  EXPECT_EQ(json.at("id").to_number<std::uint64_t>(), 17u);
  EXPECT_EQ(json.at("mode").as_string(), "http");
  EXPECT_EQ(json.at("method").as_string(), "POST");
  EXPECT_EQ(json.at("target").as_string(), "/orders/5?x=1&y=%20");
  EXPECT_EQ(json.at("path").as_string(), "/orders/5");
  EXPECT_EQ(json.at("query").as_string(), "x=1&y=%20");
  EXPECT_EQ(json.at("remote_address").as_string(), "127.0.0.1:50000");
  EXPECT_EQ(json.at("user").as_string(), "Кладовщик");
  EXPECT_EQ(json.at("auth_scheme").as_string(), "basic");
  const auto& headers = json.at("headers").as_array();
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[2].as_array()[0].as_string(), "X-A");
  EXPECT_EQ(headers[2].as_array()[1].as_string(), "2");
  EXPECT_EQ(json.at("body").as_string(), request.body);
  EXPECT_EQ(json.at("body_size").to_number<std::uint64_t>(), request.body.size());
  EXPECT_FALSE(json.contains("body_base64"));
}

TEST(RequestJson, ABodyOverTheLimitIsLeftOutAndItsSizeGiven) {
  RequestEnvelope request;
  request.id = 2;
  request.target = "/big";
  request.body = std::string(kBodyInJsonLimit, 'a');
  auto json = boost::json::parse(request_to_json(request)).as_object();
  EXPECT_EQ(json.at("body").as_string().size(), kBodyInJsonLimit);  // at the limit: still inside
  EXPECT_FALSE(json.contains("body_omitted"));
  request.body.push_back('a');
  json = boost::json::parse(request_to_json(request)).as_object();
  EXPECT_FALSE(json.contains("body"));
  EXPECT_FALSE(json.contains("body_base64"));
  EXPECT_TRUE(json.at("body_omitted").as_bool());
  EXPECT_EQ(json.at("body_size").to_number<std::uint64_t>(), kBodyInJsonLimit + 1);
}

TEST(RequestJson, BinaryBodyGoesAsBase64AndObsTextAsLatin1) {
  RequestEnvelope request;
  request.id = 1;
  request.target = "/";
  request.headers = {{"X-Latin", "caf\xE9"}};
  request.body = std::string("\xFF\x00\x01", 3);
  const auto json = boost::json::parse(request_to_json(request)).as_object();
  EXPECT_FALSE(json.contains("body"));
  EXPECT_EQ(json.at("body_base64").as_string(), "/wAB");
  EXPECT_EQ(json.at("query").as_string(), "");
  EXPECT_EQ(json.at("mode").as_string(), "legacy");
  EXPECT_EQ(json.at("headers").as_array()[0].as_array()[1].as_string(), "caf\xC3\xA9");
}

TEST(HeadersJson, ObjectArrayAndPairs) {
  EXPECT_TRUE(parse_headers_json("")->empty());
  EXPECT_TRUE(parse_headers_json("  ")->empty());
  EXPECT_TRUE(parse_headers_json("{}")->empty());

  const auto object = parse_headers_json(R"({"Content-Type":"application/json","Set-Cookie":["a=1","b=2"],"X-N":5})");
  ASSERT_TRUE(object.has_value()) << object.error();
  const std::vector<Header> expected = {
      {"Content-Type", "application/json"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"X-N", "5"}};
  EXPECT_EQ(*object, expected);

  const auto pairs = parse_headers_json(R"([["X-A","1"],["X-A","2"]])");
  ASSERT_TRUE(pairs.has_value()) << pairs.error();
  EXPECT_EQ(pairs->size(), 2u);
}

TEST(HeadersJson, RejectsBadInput) {
  EXPECT_FALSE(parse_headers_json("{").has_value());
  EXPECT_FALSE(parse_headers_json("\"text\"").has_value());
  EXPECT_FALSE(parse_headers_json(R"({"X":{"nested":1}})").has_value());
  EXPECT_FALSE(parse_headers_json(R"({"X":true})").has_value());
  EXPECT_FALSE(parse_headers_json(R"([["only-name"]])").has_value());
  EXPECT_FALSE(parse_headers_json(R"({"Bad Name":"x"})").has_value());
  EXPECT_FALSE(parse_headers_json(R"({"":"x"})").has_value());
  EXPECT_FALSE(parse_headers_json(R"({"X":"a\r\nInjected: yes"})").has_value());
  EXPECT_FALSE(parse_headers_json(R"({"X":"a\u0000b"})").has_value());
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace hserver::addin
